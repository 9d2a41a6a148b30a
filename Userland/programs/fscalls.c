/* fscalls [BASE]: every rule and every error of the file system calls (ABI.md §6), one line
 * each, `what: result` (a result is a number, an error's name, or what was seen), in the
 * same order every run. It works in a new directory `fscalls.d` under BASE (an absolute path,
 * `/` when not given), and removes it at the end. No inode number is printed, only whether
 * two are the same.
 *
 * Sections: paths, create, mkdir, unlink, chdir (fork and threads included), directories
 * opened as files, readdir, stat, writes that extend a file, fsync, two processes writing
 * one file. */
#include <dirent.h>
#include <fcntl.h>
#include <mman.h>
#include <stat.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include <thread.h>

#define PAGE_SIZE 4096
/* Where the program maps its test buffers. */
#define READ_ONLY_PAGE 0x500000000ul
#define WRITERS_BLOCKS 64

static char absolute[4096]; /* BASE/fscalls.d */
static char text[8192];

/* Prints `what: RESULT`: the number, or the error's name. */
static long say(const char *what, long result) {
    if (result < 0) printf("%s: %s\n", what, strerror(result));
    else printf("%s: %ld\n", what, result);
    return result;
}
static void yes_no(const char *what, int truth) { printf("%s: %s\n", what, truth ? "yes" : "no"); }

static uint64_t ino_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? st.ino : 0;
}

/* True when both paths exist and name the same file. */
static int same_file(const char *a, const char *b) { return ino_of(a) != 0 && ino_of(a) == ino_of(b); }

/* `what: type T size S` for `path`, or its error. */
static void say_stat(const char *what, const char *path) {
    struct stat st;
    int result = stat(path, &st);
    if (result < 0) say(what, result);
    else printf("%s: type %u size %lu\n", what, st.type, (unsigned long)st.size);
}

static void write_file(const char *path, const char *bytes) {
    ssize_t fd = open(path, O_WRONLY);
    if (fd < 0) { say(path, fd); return; }
    write((int)fd, bytes, strlen(bytes));
    close((int)fd);
}

/* The names of the directory at `path`, in readdir's order, after `what: `. */
static void say_listing(const char *what, const char *path) {
    ssize_t fd = open(path, O_RDONLY);
    if (fd < 0) { say(what, fd); return; }
    printf("%s:", what);
    struct dirent entry;
    ssize_t count;
    while ((count = readdir((int)fd, &entry, 1)) == 1) printf(" %s", entry.name);
    if (count < 0) printf(" (%s)", strerror(count));
    printf("\n");
    close((int)fd);
}

static void paths(void) {
    printf("-- paths\n");
    say("mkdir d", mkdir("d"));
    say("create d/f", create("d/f"));
    write_file("d/f", "hello");
    snprintf(text, sizeof text, "%s/d/f", absolute);
    say_stat("stat by absolute path", text);
    say_stat("stat with repeated slashes", "d//f");
    say_stat("stat with a trailing slash on a directory", "d/");
    say("stat with a trailing slash on a file", stat("d/f/", &(struct stat){0}));
    yes_no("d/./../d/f is d/f", same_file("d/./../d/f", "d/f"));
    yes_no(".. of / is /", same_file("/..", "/"));
    memset(text, 'n', 251);
    text[251] = 0;
    say("create a name of 251 bytes", create(text));
    say("stat it", stat(text, &(struct stat){0}));
    say("unlink it", unlink(text));
    text[251] = 'n';
    text[252] = 0;
    /* Where a call that should fail made something (Linux's limits are wider), it goes again
     * at once, silently, so that the listings below stay the same. */
    say("create a name of 252 bytes", create(text));
    unlink(text);
    say("mkdir a name of 252 bytes", mkdir(text));
    unlink(text);
    say("stat a name of 252 bytes", stat(text, &(struct stat){0}));
    say("create a UTF-8 name of 3 scripts", create("\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80"));
    say("unlink it", unlink("\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80"));
    static const char *const not_utf8[][2] = {
        { "create a name with byte 0xff", "bad\xff" },
        { "create a name with an overlong /", "bad\xc0\xaf" },
        { "create a name with a surrogate", "bad\xed\xa0\x80" },
        { "create a name cut inside a character", "bad\xe2\x82" },
        { "create a name past U+10FFFF", "bad\xf4\x90\x80\x80" },
    };
    for (size_t i = 0; i < sizeof not_utf8 / sizeof not_utf8[0]; i++) {
        say(not_utf8[i][0], create(not_utf8[i][1]));
        unlink(not_utf8[i][1]);
    }
    say("mkdir a name that is not UTF-8", mkdir("bad\xff"));
    unlink("bad\xff");
    say("stat a name that is not UTF-8", stat("bad\xff", &(struct stat){0}));
    say("stat an empty path", stat("", &(struct stat){0}));
    say("create an empty path", create(""));
    say("mkdir an empty path", mkdir(""));
    say("unlink an empty path", unlink(""));
    say("chdir an empty path", chdir(""));
    say("open an empty path", open("", O_RDONLY));
    say("stat through a file", stat("d/f/x", &(struct stat){0}));
    say("create through a file", create("d/f/x"));
    say("mkdir through a file", mkdir("d/f/x"));
    say("unlink through a file", unlink("d/f/x"));
    say("open through a file", open("d/f/x", O_RDONLY));
}

static void creating(void) {
    printf("-- create\n");
    ssize_t probe = open("d/f", O_RDONLY);
    close((int)probe);
    say("create c", create("c"));
    say_stat("stat c", "c");
    ssize_t again = open("d/f", O_RDONLY);
    yes_no("create opened nothing (the next fd is the same)", again == probe);
    close((int)again);
    say("create c again", create("c"));
    say("create over a directory", create("d"));
    say("create in a missing directory", create("missing/c"));
    say("create at .", create("."));
}

static void making_directories(void) {
    printf("-- mkdir\n");
    say("mkdir m", mkdir("m"));
    say_stat("stat m", "m");
    ssize_t fd = open("m", O_RDONLY);
    struct dirent entries[3];
    ssize_t count = readdir((int)fd, entries, 3);
    close((int)fd);
    say("entries of a new directory", count);
    yes_no("first . naming m", count >= 1 && strcmp(entries[0].name, ".") == 0 && entries[0].ino == ino_of("m"));
    yes_no("then .. naming its parent", count >= 2 && strcmp(entries[1].name, "..") == 0 && entries[1].ino == ino_of("."));
    say("mkdir m again", mkdir("m"));
    say("mkdir over a file", mkdir("c"));
    say("mkdir in a missing directory", mkdir("missing/m"));
    say("mkdir m/n/ with a trailing slash", mkdir("m/n/"));
    say_stat("stat m/n", "m/n");
}

static void unlinking(void) {
    printf("-- unlink\n");
    say("unlink c", unlink("c"));
    say("stat c", stat("c", &(struct stat){0}));
    say("unlink c again", unlink("c"));
    say("unlink a missing name in a missing directory", unlink("missing/c"));
    say("unlink m (not empty)", unlink("m"));
    say("unlink m/n/.", unlink("m/n/."));
    say("unlink m/n/..", unlink("m/n/.."));
    say("unlink .", unlink("."));
    say("unlink ..", unlink(".."));
    say("unlink m/n (empty)", unlink("m/n"));
    say("unlink m (empty now)", unlink("m"));
    say_listing("left", ".");

    /* A file unlinked while open. */
    create("u");
    write_file("u", "kept bytes");
    ssize_t fd = open("u", O_RDWR);
    say("unlink u while open", unlink("u"));
    say("stat u", stat("u", &(struct stat){0}));
    char buffer[32];
    memset(buffer, 0, sizeof buffer);
    say("read through the open fd", read((int)fd, buffer, sizeof buffer - 1));
    printf("bytes: %s\n", buffer);
    say("write through the open fd", write((int)fd, " and more", 9));
    say("create u anew", create("u"));
    say_stat("stat the new u", "u");
    say("seek the old fd to 0", seek((int)fd, 0, SEEK_SET));
    memset(buffer, 0, sizeof buffer);
    say("read the old fd", read((int)fd, buffer, sizeof buffer - 1));
    printf("bytes: %s\n", buffer);
    say("close the old fd", close((int)fd));
    say("unlink the new u", unlink("u"));
}

static int thread_chdir(void *argument) {
    exit(chdir((const char *)argument));
}

static void changing_directories(void) {
    printf("-- chdir\n");
    say("chdir d", chdir("d"));
    say_stat("stat f, relative to d", "f");
    say("chdir ..", chdir(".."));
    say("chdir missing", chdir("missing"));
    say("chdir to a file", chdir("d/f"));
    say("chdir to a file with a trailing slash", chdir("d/f/"));
    snprintf(text, sizeof text, "%s/d", absolute);
    say("chdir by absolute path", chdir(text));
    yes_no("now in d", same_file(".", text));
    say("chdir back with ..", chdir(".."));

    /* fork copies the current directory; a child's chdir is its own. */
    int done[2];
    pipe(done);
    int child = fork();
    if (child == 0) {
        close(done[0]);
        yes_no("the child starts where its parent is", same_file(".", absolute));
        say("the child: chdir d", chdir("d"));
        exit(0);
    }
    close(done[1]);
    char byte;
    read(done[0], &byte, 1); /* 0 or BrokenPipe: the child has ended */
    close(done[0]);
    yes_no("the parent stays where it was", same_file(".", absolute));

    /* Threads share it. */
    static char stack[STACK_SIZE] __attribute__((aligned(16)));
    int tid = thread_create("chdir", stack + STACK_SIZE, thread_chdir, "d");
    int status = -1;
    thread_join(tid, &status);
    say("a thread: chdir d", status);
    yes_no("the main thread is in d too", same_file(".", text));
    chdir("..");
}

static void directories_as_files(void) {
    printf("-- directories opened as files\n");
    static const char *const modes[] = { "read-only", "write-only", "read-write" };
    for (int mode = O_RDONLY; mode <= O_RDWR; mode++) {
        ssize_t fd = open("d", mode);
        snprintf(text, sizeof text, "open d %s", modes[mode]);
        yes_no(text, fd >= 0);
        char byte = 0;
        say("  read", read((int)fd, &byte, 1));
        say("  write", write((int)fd, &byte, 1));
        say("  seek", seek((int)fd, 0, SEEK_SET));
        say("  tell", tell((int)fd));
        close((int)fd);
    }
}

static void reading_directories(void) {
    printf("-- readdir\n");
    mkdir("r");
    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof text, "r/e%d", i);
        if (i % 5 == 4) mkdir(text);
        else create(text);
    }
    ssize_t fd = open("r", O_RDONLY);
    struct dirent entries[32];
    say("readdir 1", readdir((int)fd, entries, 1));
    printf("  %s\n", entries[0].name);
    say("readdir 3", readdir((int)fd, entries, 3));
    printf("  %s %s %s\n", entries[0].name, entries[1].name, entries[2].name);
    say("readdir 0", readdir((int)fd, entries, 0));
    say("readdir 0 into NULL", readdir((int)fd, 0, 0));
    say("readdir into NULL", readdir((int)fd, 0, 4));
    struct dirent *read_only = mmap((void *)READ_ONLY_PAGE, PAGE_SIZE, PROT_READ, -1, 0);
    say("readdir into read-only memory", readdir((int)fd, read_only, 1));
    say("readdir 32 (the rest)", readdir((int)fd, entries, 32));
    printf(" ");
    for (int i = 0; i < 18; i++) printf(" %s", entries[i].name);
    printf("\n");
    say("readdir at the end", readdir((int)fd, entries, 32));
    say("readdir at the end again", readdir((int)fd, entries, 32));
    close((int)fd);
    say_listing("readdir of r, one at a time", "r");
    ssize_t file = open("d/f", O_RDONLY);
    say("readdir of a file", readdir((int)file, entries, 1));
    close((int)file);
    say("readdir of fd 99", readdir(99, entries, 1));
    say("readdir of fd -1", readdir(-1, entries, 1));
    say_stat("stat r (22 entries)", "r");
    munmap(read_only);
}

static void stat_records(void) {
    printf("-- stat\n");
    unsigned char record[40];
    memset(record, 0xAA, sizeof record);
    say("stat d/f", stat("d/f", (struct stat *)record));
    struct stat *st = (struct stat *)record;
    printf("type %u size %lu\n", st->type, (unsigned long)st->size);
    yes_no("ino is d/f's", st->ino == ino_of("d/f") && st->ino != 0);
    yes_no("the u32 at 24 is 0", record[24] == 0 && record[25] == 0 && record[26] == 0 && record[27] == 0);
    yes_no("nothing written past 32 bytes", record[32] == 0xAA && record[39] == 0xAA);
    say_stat("stat d", "d");
    struct stat root;
    yes_no("/ is a directory", stat("/", &root) == 0 && root.type == FILE_TYPE_DIRECTORY);
    say("stat a missing file", stat("missing", st));
    say("stat into NULL", stat("d/f", 0));
    void *read_only = mmap((void *)READ_ONLY_PAGE, PAGE_SIZE, PROT_READ, -1, 0);
    say("stat into read-only memory", stat("d/f", read_only));
    say("stat into the kernel half", stat("d/f", (struct stat *)0xffff800000000000ul));
    say("stat of a NULL path", stat(0, st));
    munmap(read_only);
}

static void extending(void) {
    printf("-- write extends a file\n");
    create("g");
    ssize_t fd = open("g", O_RDWR);
    say("write 10 bytes", write((int)fd, "0123456789", 10));
    say_stat("stat g", "g");
    say("seek to 8192", seek((int)fd, 8192, SEEK_SET));
    say("write 1 byte there", write((int)fd, "z", 1));
    say_stat("stat g", "g");
    seek((int)fd, 10, SEEK_SET);
    int zeros = 1;
    say("read the hole", read((int)fd, text, 8182));
    for (int i = 0; i < 8182; i++) zeros &= text[i] == 0;
    yes_no("the hole reads as zeros", zeros);
    seek((int)fd, 0, SEEK_SET);
    say("overwrite 3 bytes at 0", write((int)fd, "abc", 3));
    say_stat("stat g", "g");
    say("seek to the end", seek((int)fd, 0, SEEK_END));
    say("fsync g", fsync((int)fd));
    close((int)fd);
    say("fsync a closed fd", fsync((int)fd));
    say("fsync fd 99", fsync(99));
    say("unlink g", unlink("g"));
}

/* Two processes open one file and write alternate 4 KiB blocks of it. */
static void two_writers(void) {
    printf("-- two processes write one file\n");
    say("create w", create("w"));
    int done[2];
    pipe(done);
    int child = fork();
    static char block[PAGE_SIZE];
    ssize_t fd = open("w", O_WRONLY);
    char mark = child == 0 ? 'C' : 'P';
    memset(block, mark, sizeof block);
    int failures = 0;
    for (int i = child == 0 ? 1 : 0; i < WRITERS_BLOCKS; i += 2) {
        if (seek((int)fd, (off_t)i * PAGE_SIZE, SEEK_SET) < 0 || write_all((int)fd, block, PAGE_SIZE) < 0) failures++;
    }
    close((int)fd);
    if (child == 0) exit(failures);
    close(done[1]);
    char byte;
    read(done[0], &byte, 1);
    close(done[0]);
    say_stat("stat w", "w");
    fd = open("w", O_RDONLY);
    int right = 1;
    for (int i = 0; i < WRITERS_BLOCKS; i++) {
        if (read_full((int)fd, block, PAGE_SIZE) != PAGE_SIZE) right = 0;
        for (int j = 0; j < PAGE_SIZE; j++) right &= block[j] == (i % 2 ? 'C' : 'P');
    }
    close((int)fd);
    yes_no("every block is its writer's", right && !failures);
    say("unlink w", unlink("w"));
}

/* Removes what the sections left: d (with f), r (with its entries). */
static void clean_up(void) {
    printf("-- clean up\n");
    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof text, "r/e%d", i);
        unlink(text);
    }
    say("unlink r", unlink("r"));
    say("unlink d/f", unlink("d/f"));
    say("unlink d", unlink("d"));
    say_listing("left", ".");
    say("chdir ..", chdir(".."));
    say("unlink fscalls.d", unlink("fscalls.d"));
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : "/";
    yes_no("starts in /", same_file(".", "/"));
    if (say("chdir BASE", chdir(base)) < 0) return 1;
    if (say("mkdir fscalls.d", mkdir("fscalls.d")) < 0) return 1;
    if (say("chdir fscalls.d", chdir("fscalls.d")) < 0) return 1;
    snprintf(absolute, sizeof absolute, "%s%sfscalls.d", base, base[strlen(base) - 1] == '/' ? "" : "/");
    paths();
    creating();
    making_directories();
    unlinking();
    changing_directories();
    directories_as_files();
    reading_directories();
    stat_records();
    extending();
    two_writers();
    clean_up();
    return 0;
}
