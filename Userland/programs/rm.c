/* rm [-r] [-f] PATH...: removes files, and with -r directories with all they hold
 * (ABI.md §6: unlink, readdir).
 *
 * Without -r a directory is refused (IsDirectory). With -r, rm tries `unlink` on each entry:
 * a file or an empty directory goes at once, and a directory that still holds entries
 * (DirectoryNotEmpty) is entered, emptied the same way, and removed after. The directories on
 * the way are held open, one fd each, so no depth of recursion is on the stack; a tree deeper
 * than the fds a process may hold stops with TooManyOpenFile. A PATH whose last component
 * is `.` or `..`, or that is `/`, is refused (Busy) before anything is removed. With -f a
 * PATH that does not exist is no error.
 *
 * Errors go to standard error as `rm: PATH: ErrorName` (the path of the entry that failed);
 * rm goes on with the rest and exits with 1 at the end, 2 for a usage error. */
#include <dirent.h>
#include <fcntl.h>
#include <stat.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

#define PATH_SPACE 65536
#define MAX_DEPTH 1024

static int recursive, force, errors;
static char path[PATH_SPACE];
/* The directories being emptied: their fd, the length of their path, the errors met before
 * they were entered, and whether they were read once more already. */
static struct level { int fd; size_t length; int errors_before, reread; } levels[MAX_DEPTH];

static void report(const char *name, long error) {
    eprintf("rm: %s: %s\n", name, strerror(error));
    errors++;
}

/* True when the last component of `name` is `.` or `..`. */
static int ends_in_dot(const char *name) {
    size_t end = strlen(name);
    while (end > 1 && name[end - 1] == '/') end--;
    size_t start = end;
    while (start > 0 && name[start - 1] != '/') start--;
    return (end - start == 1 && name[start] == '.') || (end - start == 2 && name[start] == '.' && name[start + 1] == '.');
}

/* Opens the directory at `path` (of `length` bytes) as level `depth`; 0 or the error. */
static int enter(int depth, size_t length, int reread) {
    if (depth == MAX_DEPTH) return -TooManyOpenFile;
    ssize_t fd = open(path, O_RDONLY);
    if (fd < 0) return (int)fd;
    levels[depth] = (struct level){ (int)fd, length, errors, reread };
    return 0;
}

/* Empties and removes the directory at `path`. */
static void remove_tree(void) {
    int depth = 0;
    int result = enter(0, strlen(path), 0);
    if (result < 0) { report(path, result); return; }
    while (depth >= 0) {
        struct level *level = &levels[depth];
        struct dirent entry;
        ssize_t count = readdir(level->fd, &entry, 1);
        if (count < 0) report(path, count);
        if (count <= 0) {
            /* Read to its end: the directory should be empty now. */
            close(level->fd);
            path[level->length] = 0;
            result = unlink(path);
            /* An entry the reading missed (a file system whose order moved): read it again,
             * once, unless something below could not be removed. */
            if (result == -DirectoryNotEmpty && !level->reread && errors == level->errors_before
                && enter(depth, level->length, 1) == 0)
                continue;
            if (result < 0) report(path, result);
            depth--;
            if (depth >= 0) path[levels[depth].length] = 0;
            continue;
        }
        if (dirent_is_dot(&entry)) continue;
        size_t length = level->length + 1 + strlen(entry.name);
        if (length + 1 > sizeof path) { report(entry.name, -NameTooLong); continue; }
        path[level->length] = '/';
        strcpy(path + level->length + 1, entry.name);
        result = unlink(path);
        if (result == -DirectoryNotEmpty) {
            result = enter(depth + 1, length, 0);
            if (result == 0) { depth++; continue; }
        }
        if (result < 0) report(path, result);
        path[level->length] = 0;
    }
}

static void remove_path(const char *name) {
    struct stat st, root;
    int result = stat(name, &st);
    if (result < 0) {
        if (!(force && result == -NoSuchEntry)) report(name, result);
        return;
    }
    if (ends_in_dot(name) || (stat("/", &root) == 0 && root.ino == st.ino)) { report(name, -Busy); return; }
    if (st.type == FILE_TYPE_DIRECTORY && !recursive) { report(name, -IsDirectory); return; }
    result = unlink(name);
    if (result == -DirectoryNotEmpty && recursive) {
        if (strlen(name) + 1 > sizeof path) { report(name, -NameTooLong); return; }
        strcpy(path, name);
        remove_tree();
        return;
    }
    if (result < 0) report(name, result);
}

int main(int argc, char **argv) {
    int first = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
        for (const char *flag = argv[first] + 1; *flag; flag++) {
            if (*flag == 'r' || *flag == 'R') recursive = 1;
            else if (*flag == 'f') force = 1;
            else first = argc + 1; /* unknown: usage */
        }
        if (first > argc) break;
    }
    if (first > argc || (first == argc && !force)) {
        eprintf("usage: rm [-r] [-f] PATH...\n");
        return 2;
    }
    for (int i = first; i < argc; i++) remove_path(argv[i]);
    return errors ? 1 : 0;
}
