/* ls [-a] [-l] [-U] [PATH...]: lists directories (ABI.md §6: readdir, stat).
 *
 * With no PATH it lists `.`. A PATH that is a regular file is shown as itself, a directory
 * by its entries; with more than one PATH, each directory's entries follow a line `PATH:`,
 * and a blank line separates the lines of one PATH from those of the next (a PATH that
 * cannot be shown has none).
 *
 * Which entries: names that start with `.` are hidden unless `-a` is given (`.` and `..`
 * among them).
 * Order: `.` and `..` first, then the names by their bytes (strcmp order: `B` before `a`,
 * `a` before `a1`); with `-U`, the order the directory gives (on Apus, `.`, `..`, then the
 * order the entries were made in) and nothing is held in memory.
 *
 * One name per line; with `-l`, one entry per line as
 *
 *     TYPE INODE SIZE NAME        printf("%c %8lu %12lu %s\n")
 *
 * TYPE is `d` for a directory and `-` for a regular file, INODE the inode number right-aligned
 * in 8 columns, SIZE the size in bytes right-aligned in 12 (a directory's is 4096 times its
 * blocks), then one space and the name. A wider number widens its column on that line only:
 *
 *     d        1         4096 .
 *     d        1         4096 ..
 *     -       12           13 hello.txt
 *     d       14         4096 notes
 *
 * Errors go to standard error as `ls: PATH: ErrorName` (the path of the entry that failed);
 * ls goes on with the next and exits with 1 at the end, 2 for a usage error. */
#include <dirent.h>
#include <fcntl.h>
#include <mman.h>
#include <stat.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

#define BATCH 64
/* The longest path ls builds from a directory's and an entry's names. */
#define PATH_SPACE 65536
/* Names kept for sorting live in two growing runs of mappings: the names, and pointers. */
#define NAMES_BASE 0x100000000ul
#define POINTERS_BASE 0x200000000ul
#define CHUNK (1ul << 20)

static int show_all, long_format, directory_order, failed;
static struct dirent batch[BATCH];
static char path[PATH_SPACE];

static void report(const char *name, long error) {
    eprintf("ls: %s: %s\n", name, strerror(error));
    failed = 1;
}

/* A run of anonymous mappings that grows one chunk at a time at consecutive addresses; it is
 * emptied (kept mapped) for each directory. */
struct arena { char *base; size_t used, mapped; };
static struct arena names = { (char *)NAMES_BASE, 0, 0 }, pointers = { (char *)POINTERS_BASE, 0, 0 };

static void *take(struct arena *arena, size_t size) {
    while (arena->used + size > arena->mapped) {
        void *chunk = mmap(arena->base + arena->mapped, CHUNK, PROT_READ | PROT_WRITE, -1, 0);
        if ((long)chunk < 0) {
            report("memory for the names", (long)chunk);
            exit(1);
        }
        arena->mapped += CHUNK;
    }
    void *taken = arena->base + arena->used;
    arena->used += size;
    return taken;
}

/* `.` first, `..` second, then by bytes. */
static int rank(const char *name) { return strcmp(name, ".") == 0 ? 0 : strcmp(name, "..") == 0 ? 1 : 2; }
static int before(const char *a, const char *b) {
    int ra = rank(a), rb = rank(b);
    return ra != rb ? ra < rb : strcmp(a, b) < 0;
}

/* Heap sort of `count` names: n log n comparisons, no memory beyond the array. */
static void sift(char **list, size_t root, size_t count) {
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= count) return;
        if (child + 1 < count && before(list[child], list[child + 1])) child++;
        if (!before(list[root], list[child])) return;
        char *swap = list[root]; list[root] = list[child]; list[child] = swap;
        root = child;
    }
}
static void sort(char **list, size_t count) {
    for (size_t i = count / 2; i-- > 0;) sift(list, i, count);
    for (size_t end = count; end-- > 1;) {
        char *swap = list[0]; list[0] = list[end]; list[end] = swap;
        sift(list, 0, end);
    }
}

/* Prints one entry: `shown` is what the line names, `where` the path to stat for -l. */
static void show(const char *shown, const char *where) {
    if (!long_format) {
        printf("%s\n", shown);
        return;
    }
    struct stat st;
    int result = stat(where, &st);
    if (result < 0) {
        report(where, result);
        return;
    }
    printf("%c %8lu %12lu %s\n", st.type == FILE_TYPE_DIRECTORY ? 'd' : '-', (unsigned long)st.ino,
           (unsigned long)st.size, shown);
}

/* Shows `name`, an entry of `directory`, with its path for -l. */
static void show_entry(const char *directory, const char *name) {
    size_t length = strlen(directory);
    if (length + 1 + strlen(name) + 1 > sizeof path) {
        report(name, -NameTooLong);
        return;
    }
    strcpy(path, directory);
    path[length] = '/';
    strcpy(path + length + 1, name);
    show(name, path);
}

static void list_directory(const char *directory) {
    ssize_t fd = open(directory, O_RDONLY);
    if (fd < 0) {
        report(directory, fd);
        return;
    }
    names.used = pointers.used = 0;
    ssize_t count;
    while ((count = readdir((int)fd, batch, BATCH)) > 0) {
        for (ssize_t i = 0; i < count; i++) {
            if (batch[i].name[0] == '.' && !show_all) continue;
            if (directory_order) {
                show_entry(directory, batch[i].name);
                continue;
            }
            size_t length = strlen(batch[i].name) + 1;
            char *kept = take(&names, length);
            memcpy(kept, batch[i].name, length);
            *(char **)take(&pointers, sizeof(char *)) = kept;
        }
    }
    if (count < 0) report(directory, count);
    close((int)fd);
    char **list = (char **)pointers.base;
    size_t kept = pointers.used / sizeof(char *);
    sort(list, kept);
    for (size_t i = 0; i < kept; i++) show_entry(directory, list[i]);
}

static int usage(void) {
    eprintf("usage: ls [-a] [-l] [-U] [PATH...]\n");
    return 2;
}

int main(int argc, char **argv) {
    int first = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
        if (strcmp(argv[first], "--") == 0) { first++; break; }
        for (const char *flag = argv[first] + 1; *flag; flag++) {
            if (*flag == 'a') show_all = 1;
            else if (*flag == 'l') long_format = 1;
            else if (*flag == 'U') directory_order = 1;
            else return usage();
        }
    }
    static char *here[] = { "." };
    char **paths = first < argc ? argv + first : here;
    int count = first < argc ? argc - first : 1;
    int blocks = 0; /* PATHs shown so far */
    for (int i = 0; i < count; i++) {
        struct stat st;
        int result = stat(paths[i], &st);
        if (result < 0) {
            report(paths[i], result);
            continue;
        }
        if (blocks++ > 0) printf("\n");
        if (st.type != FILE_TYPE_DIRECTORY) {
            show(paths[i], paths[i]);
        } else {
            if (count > 1) printf("%s:\n", paths[i]);
            list_directory(paths[i]);
        }
    }
    return failed;
}
