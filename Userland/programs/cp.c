/* cp SOURCE TARGET, cp SOURCE... DIRECTORY: copies regular files (ABI.md §6).
 *
 * When the last argument is a directory, each SOURCE is copied into it under its own last
 * component; otherwise there must be one SOURCE, copied to the file TARGET. A TARGET that
 * exists is replaced: the file system cannot shorten a file, so the old one is unlinked and a
 * new one created (its inode number changes; an fd open on the old one keeps the old bytes).
 * A SOURCE that is a directory is IsDirectory (there is no -r); a SOURCE copied onto itself
 * is refused before anything changes.
 *
 * Errors go to standard error as `cp: NAME: ErrorName` (NAME: the file the failing call was
 * about), or `cp: TARGET: same file as SOURCE`; the other SOURCEs are still copied, and the
 * status is then 1 (2 for a usage error). */
#include <fcntl.h>
#include <stat.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

#define PATH_SPACE 65536

static char buffer[1 << 16];
static char target_path[PATH_SPACE];

static int report(const char *name, long error) {
    eprintf("cp: %s: %s\n", name, strerror(error));
    return 1;
}

/* Copies the bytes of `in` to `out`; 0, or 1 once the failure is reported. */
static int copy_bytes(int in, int out, const char *source, const char *target) {
    for (;;) {
        ssize_t count = read(in, buffer, sizeof buffer);
        if (count == 0) return 0;
        if (count < 0) return report(source, count);
        long wrote = write_all(out, buffer, (size_t)count);
        if (wrote < 0) return report(target, wrote);
    }
}

/* Copies the regular file `source` to `target`; 0, or 1 once the failure is reported. */
static int copy_file(const char *source, const char *target) {
    struct stat from, to;
    int result = stat(source, &from);
    if (result < 0) return report(source, result);
    if (from.type == FILE_TYPE_DIRECTORY) return report(source, -IsDirectory);
    result = stat(target, &to);
    if (result == 0) {
        if (to.ino == from.ino) {
            eprintf("cp: %s: same file as %s\n", target, source);
            return 1;
        }
        if (to.type == FILE_TYPE_DIRECTORY) return report(target, -IsDirectory);
    }
    ssize_t in = open(source, O_RDONLY);
    if (in < 0) return report(source, in);
    if (result == 0) result = unlink(target);
    if (result == 0 || result == -NoSuchEntry) result = create(target);
    ssize_t out = result < 0 ? result : open(target, O_WRONLY);
    int failed = out < 0 ? report(target, out) : copy_bytes((int)in, (int)out, source, target);
    if (out >= 0) close((int)out);
    close((int)in);
    return failed;
}

/* The last component of `path`, trailing slashes aside, copied to `name`. */
static void last_component(const char *path, char *name, size_t size) {
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/') end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/') start--;
    size_t length = end - start < size - 1 ? end - start : size - 1;
    memcpy(name, path + start, length);
    name[length] = 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        eprintf("usage: cp SOURCE TARGET | cp SOURCE... DIRECTORY\n");
        return 2;
    }
    const char *last = argv[argc - 1];
    struct stat st;
    int found = stat(last, &st);
    int into_directory = found == 0 && st.type == FILE_TYPE_DIRECTORY;
    if (argc > 3 && !into_directory) return report(last, found < 0 ? found : -NotDirectory);
    if (!into_directory) return copy_file(argv[1], last);
    int failed = 0;
    for (int i = 1; i < argc - 1; i++) {
        char name[256];
        last_component(argv[i], name, sizeof name);
        size_t length = strlen(last);
        if (length + 1 + strlen(name) + 1 > sizeof target_path) {
            failed |= report(argv[i], -NameTooLong);
            continue;
        }
        strcpy(target_path, last);
        target_path[length] = '/';
        strcpy(target_path + length + 1, name);
        failed |= copy_file(argv[i], target_path);
    }
    return failed;
}
