/* fsnested MODE [ARGS]: the file system's nested paths, each a call that needs the file system
 * again (or frames from its caches) while it is already in the middle of using it. Each mode
 * prints what it saw, one line per check; the kernel must neither deadlock nor panic.
 *   mapcopy FILE     read(2) of FILE into an untouched private mapping of FILE itself: the
 *                    copy into the program's pages faults the file's pages in through the page
 *                    cache while the read holds the file system; then write(2) of that mapping
 *                    into a new file (the copy out of the mapping, while the write holds it)
 *   squeeze FILE MIB read FILE whole (the page cache fills), then touch MIB MiB of new memory:
 *                    frames run short, and the caches must give theirs back before the program
 *                    is refused memory
 *   dirty WMIB MIB   write WMIB MiB to a new file (dirty pages the disk has not seen), then touch
 *                    MIB MiB of new memory: the caches must write those pages back to free their
 *                    frames; then every byte of the file reads back
 *   fsyncs COUNT     create COUNT files of 8 KiB, fsync each and say so, then unlink every other
 *                    one: a workload for power cuts (crash-after-writes)
 *   verify COUNT     after `fsyncs`: every file said fsynced is there, whole */
#include <fcntl.h>
#include <mman.h>
#include <stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syscall.h>

#define PAGE_SIZE 4096ul
#define MIB (1ul << 20)
#define MAPPING 0x600000000ul
#define MEMORY 0x700000000ul
#define CHUNK (256ul * 1024)
#define FSYNC_FILE (8ul * 1024)

static char chunk[CHUNK];

static long say(const char *what, long result) {
    if (result < 0) printf("%s: %s\n", what, strerror(result));
    else printf("%s: %ld\n", what, result);
    return result;
}

static char byte_at(unsigned long offset, int salt) { return (char)('a' + (offset / 977 + (unsigned long)salt) % 26); }

static long size_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.size : -1;
}

/* Touches every page of `mib` MiB of new memory; returns how many MiB it touched. */
static unsigned long touch(unsigned long mib) {
    char *memory = mmap((void *)MEMORY, mib * MIB, PROT_READ | PROT_WRITE, -1, 0);
    if ((long)memory < 0) return 0;
    for (unsigned long at = 0; at < mib * MIB; at += PAGE_SIZE) memory[at] = (char)at;
    unsigned long right = 0;
    for (unsigned long at = 0; at < mib * MIB; at += PAGE_SIZE) right += memory[at] == (char)at;
    munmap(memory);
    return right * PAGE_SIZE / MIB;
}

static int mapcopy(const char *path) {
    long size = size_of(path);
    ssize_t fd = open(path, O_RDONLY);
    if (size <= 0 || fd < 0) return say("open", fd < 0 ? fd : -NoSuchEntry) < 0;
    char *mapped = mmap((void *)MAPPING, (size_t)size, PROT_READ | PROT_WRITE, (int)fd, 0);
    if ((long)mapped < 0) return say("mmap", (long)mapped) < 0;
    /* Before any page of the mapping is touched, read the file into it. */
    ssize_t reader = open(path, O_RDONLY);
    say("read the file into its own untouched mapping", read_full((int)reader, mapped, (size_t)size));
    create("mapcopy.out");
    ssize_t writer = open("mapcopy.out", O_WRONLY);
    say("write the mapping to a new file", write_all((int)writer, mapped, (size_t)size));
    close((int)writer);
    /* The copy is the file, byte for byte. */
    ssize_t check = open("mapcopy.out", O_RDONLY);
    int same = 1;
    for (long at = 0; at < size; at += (long)CHUNK) {
        long got = read_full((int)check, chunk, CHUNK);
        for (long i = 0; i < got; i++) same &= chunk[i] == mapped[at + i];
    }
    printf("the copy is the file: %s\n", same ? "yes" : "no");
    close((int)check);
    close((int)reader);
    close((int)fd);
    munmap(mapped);
    say("unlink mapcopy.out", unlink("mapcopy.out"));
    return 0;
}

static int squeeze(const char *path, unsigned long mib) {
    ssize_t fd = open(path, O_RDONLY);
    if (fd < 0) return say("open", fd) < 0;
    unsigned long total = 0;
    long got;
    while ((got = read((int)fd, chunk, CHUNK)) > 0) total += (unsigned long)got;
    close((int)fd);
    printf("read %lu MiB\n", total / MIB);
    printf("touched %lu of %lu MiB\n", touch(mib), mib);
    return 0;
}

static int dirty(unsigned long written_mib, unsigned long mib) {
    create("dirty.out");
    ssize_t fd = open("dirty.out", O_RDWR);
    unsigned long total = 0;
    for (unsigned long at = 0; at < written_mib * MIB; at += CHUNK) {
        for (unsigned long i = 0; i < CHUNK; i++) chunk[i] = byte_at(at + i, 3);
        long put = write_all((int)fd, chunk, CHUNK);
        if (put > 0) total += (unsigned long)put;
    }
    printf("wrote %lu MiB\n", total / MIB);
    printf("touched %lu of %lu MiB\n", touch(mib), mib);
    seek((int)fd, 0, SEEK_SET);
    int right = 1;
    for (unsigned long at = 0; at < total; at += CHUNK) {
        long got = read_full((int)fd, chunk, CHUNK);
        for (long i = 0; i < got; i++) right &= chunk[i] == byte_at(at + (unsigned long)i, 3);
    }
    printf("every byte reads back: %s\n", right ? "yes" : "no");
    close((int)fd);
    say("unlink dirty.out", unlink("dirty.out"));
    return 0;
}

static int fsyncs(int count) {
    char name[32];
    for (int file = 0; file < count; file++) {
        snprintf(name, sizeof name, "sync%d", file);
        if (create(name) < 0) continue;
        ssize_t fd = open(name, O_WRONLY);
        for (unsigned long i = 0; i < FSYNC_FILE; i++) chunk[i] = byte_at(i, file);
        write_all((int)fd, chunk, FSYNC_FILE);
        if (fsync((int)fd) == 0) printf("fsynced %s\n", name);
        close((int)fd);
    }
    for (int file = 0; file < count; file += 2) {
        snprintf(name, sizeof name, "sync%d", file);
        if (unlink(name) == 0) printf("unlinked %s\n", name);
    }
    return 0;
}

static int verify(int count) {
    char name[32];
    for (int file = 0; file < count; file++) {
        snprintf(name, sizeof name, "sync%d", file);
        long size = size_of(name);
        if (size < 0) {
            printf("%s: absent\n", name);
            continue;
        }
        ssize_t fd = open(name, O_RDONLY);
        long got = read_full((int)fd, chunk, FSYNC_FILE);
        close((int)fd);
        int whole = size == (long)FSYNC_FILE && got == (long)FSYNC_FILE;
        for (long i = 0; whole && i < got; i++) whole &= chunk[i] == byte_at((unsigned long)i, file);
        printf("%s: %s\n", name, whole ? "whole" : "damaged");
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "mapcopy") == 0 && argc > 2) return mapcopy(argv[2]);
    if (strcmp(mode, "squeeze") == 0 && argc > 3) return squeeze(argv[2], (unsigned long)atoi(argv[3]));
    if (strcmp(mode, "dirty") == 0 && argc > 3) return dirty((unsigned long)atoi(argv[2]), (unsigned long)atoi(argv[3]));
    if (strcmp(mode, "fsyncs") == 0 && argc > 2) return fsyncs(atoi(argv[2]));
    if (strcmp(mode, "verify") == 0 && argc > 2) return verify(atoi(argv[2]));
    printf("usage: fsnested mapcopy FILE | squeeze FILE MIB | dirty WMIB MIB | fsyncs COUNT | verify COUNT\n");
    return 2;
}
