/* fshostile [BASE] [MODE]: attacks on the file system calls (ABI.md §6). Each line says what
 * a call was given and what it returned; the kernel must answer each with an error code (or
 * a result) and go on. It works in a new directory `fshostile.d` under BASE (an absolute
 * path, `/` when not given) and removes it at the end.
 *   pointers  paths and records at NULL, in the kernel half, past the canonical hole, running
 *             into an unmapped page; readdir and stat records across a page that ends in an
 *             unmapped or read-only one (nothing may be written, nothing consumed)
 *   counts    readdir counts of 0, 1, huge, and one whose byte size wraps around 2^64
 *   names     components of 251, 252, 4,096 and 100,000 bytes; names that are not UTF-8
 *   deep      paths of thousands of components (`./` and `a/../` runs, `..` past the root),
 *             a chain of 200 directories walked by path and by chdir, and removed again
 *   odd       the current directory removed under the process, a directory unlinked while
 *             open and read on, a write at the largest file size, 1,025 open directories
 *   race      four processes create, unlink, mkdir and stat the same 16 names 2,000 times
 *             each; each prints how often each result came (not deterministic)
 *   fill      writes files of up to 64 MiB in 1 MiB writes until the disk is full: the write
 *             that does not fit returns what fitted, the next NoSpace; every file then holds
 *             exactly what its writes returned, and all of it is readable; after unlinking
 *             them the space is there again (never run on a disk that matters)
 * Without MODE, every mode but `race` and `fill` runs, in that order. */
#include <dirent.h>
#include <fcntl.h>
#include <mman.h>
#include <stat.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

#define PAGE_SIZE 4096ul
/* Test memory: a read-write page followed by nothing (the next page is never mapped), and a
 * read-write page followed by a read-only one. */
#define EDGE_PAGE 0x500000000ul
#define SPLIT_PAGE 0x500010000ul
#define HUGE_NAME_BASE 0x500100000ul
#define HUGE_NAME (100000ul)
#define KERNEL_HALF 0xffff800000000000ul
#define NON_CANONICAL 0x8000000000000000ul
/* The largest file, in bytes: (12 + 512 + 512²) blocks of 4 KiB. */
#define LARGEST_FILE ((12ul + 512 + 512ul * 512) * 4096)
#define RACE_PROCESSES 4
#define RACE_ROUNDS 2000
#define RACE_NAMES 16
#define CHAIN 200
#define FILL_WRITE (1ul << 20)
#define FILL_FILE (64ul << 20)
#define FILL_FILES 4096

static char text[16384];
static char home[4096]; /* BASE/fshostile.d */

static long say(const char *what, long result) {
    if (result < 0) printf("%s: %s\n", what, strerror(result));
    else printf("%s: %ld\n", what, result);
    return result;
}

static char *map(unsigned long address, unsigned long length, int prot) {
    char *memory = mmap((void *)address, length, prot, -1, 0);
    if ((long)memory < 0) {
        say("mmap of the test memory", (long)memory);
        exit(1);
    }
    return memory;
}

/* Every path-taking call with `path`, each result on one line after `what`. */
static void every_call(const char *what, const char *path) {
    struct stat st;
    long results[6] = { create(path), mkdir(path), stat(path, &st), open(path, O_RDONLY), chdir(path), unlink(path) };
    printf("%s: create %s, mkdir %s, stat %s, open %s, chdir %s, unlink %s\n", what,
           results[0] < 0 ? strerror(results[0]) : "0", results[1] < 0 ? strerror(results[1]) : "0",
           results[2] < 0 ? strerror(results[2]) : "0", results[3] < 0 ? strerror(results[3]) : "fd",
           results[4] < 0 ? strerror(results[4]) : "0", results[5] < 0 ? strerror(results[5]) : "0");
    if (results[3] >= 0) close((int)results[3]);
    /* Put back what a call that worked changed: no file, no directory, the same place. */
    if (results[4] == 0) chdir(home);
    unlink(path);
}

static void pointers(void) {
    printf("-- pointers\n");
    char *edge = (char *)EDGE_PAGE;
    every_call("path NULL", 0);
    every_call("path in the kernel half", (const char *)KERNEL_HALF);
    every_call("path past the canonical hole", (const char *)NON_CANONICAL);
    memset(edge, 'a', PAGE_SIZE);
    every_call("path with no NUL before an unmapped page", edge);
    memcpy(edge + PAGE_SIZE - 2, "b", 2);
    every_call("path ending at the last byte of a page", edge + PAGE_SIZE - 2);

    create("file");
    mkdir("dir");
    ssize_t fd = open("dir", O_RDONLY);
    struct dirent *last = (struct dirent *)(edge + PAGE_SIZE - sizeof(struct dirent));
    say("readdir 2 entries into a buffer whose second runs off the mapping", readdir((int)fd, last, 2));
    say("then readdir 1 into its first", readdir((int)fd, last, 1));
    printf("  which is %s\n", last->name);
    say("readdir into the kernel half", readdir((int)fd, (struct dirent *)KERNEL_HALF, 1));
    say("readdir past the canonical hole", readdir((int)fd, (struct dirent *)NON_CANONICAL, 1));
    say("readdir 1 at the very end of the user half", readdir((int)fd, (struct dirent *)(0x800000000000ul - sizeof(struct dirent)), 1));
    close((int)fd);

    char *split = (char *)SPLIT_PAGE;
    memset(split, 0x5a, PAGE_SIZE);
    struct stat *across = (struct stat *)(split + PAGE_SIZE - 16);
    say("stat into a record half in read-only memory", stat("file", across));
    int untouched = 1;
    for (unsigned long i = PAGE_SIZE - 16; i < PAGE_SIZE; i++) untouched &= split[i] == 0x5a;
    printf("  its writable half untouched: %s\n", untouched ? "yes" : "no");
    say("stat into read-only memory", stat("file", (struct stat *)(split + PAGE_SIZE)));
    say("stat into the last 32 bytes of the user half", stat("file", (struct stat *)(0x800000000000ul - 32)));
    fd = open("dir", O_RDONLY);
    say("readdir into a record half in read-only memory", readdir((int)fd, (struct dirent *)(split + PAGE_SIZE - 100), 1));
    untouched = 1;
    for (unsigned long i = PAGE_SIZE - 100; i < PAGE_SIZE; i++) untouched &= split[i] == 0x5a;
    printf("  its writable part untouched: %s\n", untouched ? "yes" : "no");
    struct dirent entry;
    say("then readdir 1 into good memory", readdir((int)fd, &entry, 1));
    printf("  which is %s\n", entry.name);
    close((int)fd);
    unlink("file");
    unlink("dir");
}

static void counts(void) {
    printf("-- counts\n");
    mkdir("dir");
    ssize_t fd = open("dir", O_RDONLY);
    char *buffer = (char *)EDGE_PAGE;
    static const unsigned long counts[] = {
        0, 1, 15, 16, 17, 1ul << 20, 1ul << 40, 1ul << 57, ~0ul, ~0ul / sizeof(struct dirent) + 1,
        (~0ul / sizeof(struct dirent) + 1) * 2,
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        snprintf(text, sizeof text, "readdir %lu entries into one page", counts[i]);
        say(text, readdir((int)fd, (struct dirent *)buffer, counts[i]));
    }
    close((int)fd);
    unlink("dir");
}

static void names(void) {
    printf("-- names\n");
    memset(text, 'n', 251);
    text[251] = 0;
    say("create 251 bytes", create(text));
    say("unlink it", unlink(text));
    say("mkdir 251 bytes", mkdir(text));
    say("chdir into it", chdir(text));
    say("chdir ..", chdir(".."));
    say("unlink it", unlink(text));
    text[251] = 'n';
    text[252] = 0;
    every_call("252 bytes", text);
    memset(text, 'n', 4096);
    text[4096] = 0;
    every_call("4096 bytes", text);
    char *huge = map(HUGE_NAME_BASE, HUGE_NAME + PAGE_SIZE, PROT_READ | PROT_WRITE);
    memset(huge, 'h', HUGE_NAME);
    huge[HUGE_NAME] = 0;
    every_call("100000 bytes", huge);
    huge[0] = '/';
    for (unsigned long i = 252; i < HUGE_NAME; i += 252) huge[i] = '/';
    every_call("100000 bytes in components of 251", huge);
    munmap(huge);
    static const char *const strange[] = {
        "\xff", "\xc0\x80", "\xe0\x80\xaf", "\xed\xbf\xbf", "\xf8\x88\x80\x80\x80", "\x80", "ok\xe2\x82",
        "\x01\x02\x7f", "tab\there", "new\nline",
    };
    for (size_t i = 0; i < sizeof strange / sizeof strange[0]; i++) {
        snprintf(text, sizeof text, "name %zu of the odd bytes", i);
        every_call(text, strange[i]);
    }
}

static void deep(void) {
    printf("-- deep\n");
    mkdir("a");
    size_t at = 0;
    for (int i = 0; i < 3000; i++) { memcpy(text + at, "./", 2); at += 2; }
    strcpy(text + at, "a");
    say("stat ./ 3000 times then a", stat(text, &(struct stat){0}));
    at = 0;
    for (int i = 0; i < 2000; i++) { memcpy(text + at, "a/../", 5); at += 5; }
    strcpy(text + at, "a");
    say("stat a/../ 2000 times then a", stat(text, &(struct stat){0}));
    at = 0;
    text[at++] = '/';
    for (int i = 0; i < 5000; i++) { memcpy(text + at, "../", 3); at += 3; }
    text[at] = 0;
    struct stat up, root;
    if (say("stat /../ 5000 times", stat(text, &up)) == 0 && stat("/", &root) == 0)
        printf("  is /: %s\n", up.ino == root.ino ? "yes" : "no");
    at = 0;
    for (int i = 0; i < 5000; i++) text[at++] = '/';
    strcpy(text + at, "tmp");
    say("stat 5000 slashes then tmp", stat(text, &(struct stat){0}));

    /* A chain of directories, made by chdir, then reached by one long path. */
    int made = 0;
    for (; made < CHAIN && mkdir("c") == 0 && chdir("c") == 0; made++) {}
    printf("chain of %d directories made\n", made);
    for (int i = 0; i < made; i++) chdir("..");
    at = 0;
    for (int i = 0; i < made; i++) { memcpy(text + at, "c/", 2); at += 2; }
    text[at] = 0;
    say("stat the bottom by one path", stat(text, &(struct stat){0}));
    strcpy(text + at, "f");
    say("create a file at the bottom", create(text));
    say("unlink the top (not empty)", unlink("c"));
    /* Remove it from the bottom up, by ever shorter paths. */
    int removed = unlink(text) == 0;
    for (int depth = made; depth > 0; depth--) {
        text[2 * depth - 1] = 0;
        removed += unlink(text) == 0;
    }
    printf("removed %d of %d\n", removed, made + 1);
    unlink("a");
}

static void odd(void) {
    printf("-- odd\n");
    /* The current directory removed under the process. */
    mkdir("gone");
    chdir("gone");
    snprintf(text, sizeof text, "%s/gone", home);
    say("unlink the current directory by its absolute path", unlink(text));
    say("create in it", create("x"));
    say("mkdir in it", mkdir("y"));
    say("stat .", stat(".", &(struct stat){0}));
    say("stat ..", stat("..", &(struct stat){0}));
    say("chdir ..", chdir(".."));
    chdir(home);

    /* A directory unlinked while open. */
    mkdir("open");
    ssize_t fd = open("open", O_RDONLY);
    say("unlink an open empty directory", unlink("open"));
    struct dirent entries[4];
    say("readdir it after", readdir((int)fd, entries, 4));
    say("close it", close((int)fd));

    /* Writes at the end of the largest file. */
    create("large");
    fd = open("large", O_RDWR);
    say("seek to the largest size - 1", seek((int)fd, (off_t)LARGEST_FILE - 1, SEEK_SET));
    say("write 1 byte there", write((int)fd, "z", 1));
    say("write 1 byte past the largest size", write((int)fd, "z", 1));
    say("seek to 2^62", seek((int)fd, (off_t)1 << 62, SEEK_SET));
    say("write 1 byte there", write((int)fd, "z", 1));
    close((int)fd);
    say("unlink it", unlink("large"));

    /* Directories take fds like files. */
    int opened = 0;
    long last = 0;
    static int fds[1100];
    while (opened < 1100 && (last = open(".", O_RDONLY)) >= 0) fds[opened++] = (int)last;
    printf("opened . %d times, then: %s\n", opened, last < 0 ? strerror(last) : "no error");
    for (int i = 0; i < opened; i++) close(fds[i]);
}

/* Four processes at once on the same 16 names: each call's result is counted. */
static void race(void) {
    printf("-- race\n");
    mkdir("race");
    int done[2];
    pipe(done);
    int me = 0;
    for (int i = 1; i < RACE_PROCESSES && me == 0; i++) if (fork() == 0) me = i;
    static const char *const calls[] = { "create", "unlink", "mkdir", "stat" };
    static long tally[4][NoSuchSyscall + 2];
    unsigned long seed = (unsigned long)me * 2654435761ul + 1;
    for (int round = 0; round < RACE_ROUNDS; round++) {
        seed = seed * 6364136223846793005ul + 1442695040888963407ul;
        int call = (int)(seed >> 60) % 4, name = (int)(seed >> 40) % RACE_NAMES;
        snprintf(text, sizeof text, "race/n%d", name);
        long result = call == 0 ? create(text) : call == 1 ? unlink(text) : call == 2 ? mkdir(text) : stat(text, &(struct stat){0});
        long slot = result >= 0 ? 0 : -result <= NoSuchSyscall ? -result : NoSuchSyscall + 1;
        tally[call][slot]++;
    }
    for (int call = 0; call < 4; call++) {
        int at = snprintf(text, sizeof text, "process %d %s:", me, calls[call]);
        for (int slot = 0; slot <= NoSuchSyscall + 1; slot++)
            if (tally[call][slot]) at += snprintf(text + at, sizeof text - at, " %s %ld", slot ? strerror(slot) : "ok", tally[call][slot]);
        printf("%s\n", text);
    }
    if (me) exit(0);
    close(done[1]);
    char byte;
    read(done[0], &byte, 1); /* every child has ended once the pipe has no writer */
    close(done[0]);
    int left = 0;
    for (int name = 0; name < RACE_NAMES; name++) {
        snprintf(text, sizeof text, "race/n%d", name);
        left += unlink(text) == 0;
    }
    printf("names left and removed: %d\n", left);
    say("unlink race", unlink("race"));
}

/* The byte at `offset` of fill file `file`: every file and every MiB different. */
static char fill_byte(int file, unsigned long offset) { return (char)('a' + (file * 7 + offset / FILL_WRITE) % 26); }

static void fill(void) {
    printf("-- fill\n");
    static char block[FILL_WRITE];
    static unsigned long sizes[FILL_FILES];
    unsigned long total = 0;
    long last = 0;
    int files = 0;
    for (; files < FILL_FILES && last >= 0; files++) {
        snprintf(text, sizeof text, "fill%d", files);
        last = create(text);
        if (last < 0) break;
        ssize_t fd = open(text, O_WRONLY);
        if (fd < 0) { last = fd; files++; break; }
        while (sizes[files] < FILL_FILE) {
            memset(block, fill_byte(files, sizes[files]), FILL_WRITE);
            last = write((int)fd, block, FILL_WRITE);
            if (last <= 0) break;
            sizes[files] += (unsigned long)last;
            total += (unsigned long)last;
            if (last < (long)FILL_WRITE) { last = write((int)fd, block, FILL_WRITE); break; }
        }
        close((int)fd);
        if (last <= 0) { files++; break; }
    }
    printf("the disk took %lu MiB in %d files, then: %s\n", total >> 20, files, last < 0 ? strerror(last) : "no error");
    int exact = 1, readable = 1;
    for (int file = 0; file < files; file++) {
        snprintf(text, sizeof text, "fill%d", file);
        struct stat st;
        if (stat(text, &st) < 0 || st.size != sizes[file]) exact = 0;
        ssize_t fd = open(text, O_RDONLY);
        for (unsigned long at = 0; fd >= 0 && at < sizes[file]; at += FILL_WRITE) {
            long got = read_full((int)fd, block, FILL_WRITE);
            for (long i = 0; i < got; i++) readable &= block[i] == fill_byte(file, at);
            if (got <= 0) readable = 0;
        }
        if (fd >= 0) close((int)fd);
        else readable = 0;
    }
    printf("every file's size is what its writes returned: %s\n", exact ? "yes" : "no");
    printf("every byte reads back: %s\n", readable ? "yes" : "no");
    int removed = 0;
    for (int file = 0; file < files; file++) {
        snprintf(text, sizeof text, "fill%d", file);
        removed += unlink(text) == 0;
    }
    printf("unlinked %d of %d\n", removed, files);
    create("after");
    ssize_t fd = open("after", O_WRONLY);
    say("then a write of 1 MiB", write((int)fd, block, FILL_WRITE));
    close((int)fd);
    unlink("after");
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : "/";
    const char *mode = argc > 2 ? argv[2] : "all";
    if (say("chdir BASE", chdir(base)) < 0) return 1;
    if (say("mkdir fshostile.d", mkdir("fshostile.d")) < 0) return 1;
    snprintf(home, sizeof home, "%s%sfshostile.d", base, base[strlen(base) - 1] == '/' ? "" : "/");
    if (say("chdir fshostile.d", chdir(home)) < 0) return 1;
    map(EDGE_PAGE, PAGE_SIZE, PROT_READ | PROT_WRITE);
    map(SPLIT_PAGE, PAGE_SIZE, PROT_READ | PROT_WRITE);
    map(SPLIT_PAGE + PAGE_SIZE, PAGE_SIZE, PROT_READ);
    int all = strcmp(mode, "all") == 0;
    if (all || strcmp(mode, "pointers") == 0) pointers();
    if (all || strcmp(mode, "counts") == 0) counts();
    if (all || strcmp(mode, "names") == 0) names();
    if (all || strcmp(mode, "deep") == 0) deep();
    if (all || strcmp(mode, "odd") == 0) odd();
    if (strcmp(mode, "race") == 0) race();
    if (strcmp(mode, "fill") == 0) fill();
    say("chdir BASE", chdir(base));
    say("unlink fshostile.d", unlink("fshostile.d"));
    return 0;
}
