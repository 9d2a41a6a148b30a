/* durability [ROUNDS]: creates, writes, fsyncs, grows and unlinks files, and says which
 * bytes it has made durable, for the power-cut tests (`apus run --disk IMAGE
 * --crash-after-writes N durability`): after a cut at any block write, every file this
 * program said it fsynced must be on the disk with those bytes (ABI.md §6, durability).
 *
 * It works in a new directory `durability.d` of the current directory (FileExist when there is
 * one: each run starts from a disk without it). Each of
 * ROUNDS rounds (12 by default, at most 1000), with r the round's number from 0:
 *   - makes `fR`, writes SIZE(r) bytes to it, fsyncs it, and prints `fsynced fR BYTES`;
 *   - in odd rounds, makes a directory `dR` holding a file `dR/inner`, and writes and fsyncs
 *     it (printing `fsynced dR/inner BYTES`);
 *   - appends 3,000 more bytes to the file of the round before and fsyncs it (printing its
 *     new size), so files grow past their 12 direct blocks into the indirect block;
 *   - from round 3 on, unlinks `f(R−3)` and prints `unlinked f(R−3)` once unlink returned
 *     (an unlink is made durable by a later fsync's commit, not at once: the file may
 *     still be there after a cut, whole);
 *   - makes and writes `scratchR` without fsyncing it (it may or may not survive).
 * Then it prints `done` and exits with 0. Every line is printed after the call it reports
 * returned, so a line the tests see is a promise the disk must keep.
 *
 * The bytes: byte i of the file named NAME (its path inside `durability.d`) is
 * (i * 131 + the sum of NAME's bytes * 7) mod 251 + 1, never 0, so a block lost or read from
 * the wrong place shows. SIZE(r) is 1,000 + 5,000 r bytes.
 *
 * A call that fails prints `durability: WHAT: ErrorName` on standard error and ends the
 * program with 1. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syscall.h>

#define FOLDER "durability.d"
#define DEFAULT_ROUNDS 12
#define MAXIMUM_ROUNDS 1000
#define GROWTH 3000
#define BASE_SIZE 1000
#define SIZE_STEP 5000
/* The byte pattern's constants (see above). */
#define PATTERN_STRIDE 131
#define PATTERN_NAME_WEIGHT 7
#define PATTERN_MODULUS 251

static char chunk[4096];

static void fail(const char *what, long result) {
    eprintf("durability: %s: %s\n", what, strerror(result));
    exit(1);
}

static long check(const char *what, long result) {
    if (result < 0) fail(what, result);
    return result;
}

static unsigned name_weight(const char *name) {
    unsigned sum = 0;
    for (const char *c = name; *c; c++) sum += (unsigned char)*c;
    return sum * PATTERN_NAME_WEIGHT;
}

/* Appends `count` bytes of NAME's pattern at offset `from` of the open file `fd`. */
static void write_pattern(int fd, const char *name, unsigned long from, unsigned long count) {
    unsigned weight = name_weight(name);
    check(name, seek(fd, (off_t)from, SEEK_SET));
    for (unsigned long done = 0; done < count;) {
        unsigned long length = count - done < sizeof chunk ? count - done : sizeof chunk;
        for (unsigned long i = 0; i < length; i++) chunk[i] = (char)(((from + done + i) * PATTERN_STRIDE + weight) % PATTERN_MODULUS + 1);
        if (check(name, write(fd, chunk, length)) != (long)length) fail(name, -NoSpace);
        done += length;
    }
}

/* Writes `count` more bytes to NAME (made when `from` is 0), fsyncs it when `sync`, and says
 * so. */
static void extend(const char *name, unsigned long from, unsigned long count, int sync) {
    char path[64];
    snprintf(path, sizeof path, FOLDER "/%s", name);
    if (from == 0) check(path, create(path));
    int fd = (int)check(path, open(path, O_RDWR));
    write_pattern(fd, name, from, count);
    if (sync) {
        check(path, fsync(fd));
        printf("fsynced %s %lu\n", name, from + count);
    }
    close(fd);
}

static unsigned long size_of_round(int round) { return BASE_SIZE + SIZE_STEP * (unsigned long)round; }

int main(int argc, char **argv) {
    int rounds = DEFAULT_ROUNDS;
    if (argc > 2 || (argc == 2 && (atoi(argv[1]) < 1 || atoi(argv[1]) > MAXIMUM_ROUNDS))) {
        eprintf("usage: durability [ROUNDS] (1 to %d)\n", MAXIMUM_ROUNDS);
        return 2;
    }
    if (argc == 2) rounds = atoi(argv[1]);
    check(FOLDER, mkdir(FOLDER));
    unsigned long grown[MAXIMUM_ROUNDS];
    char name[32];
    for (int round = 0; round < rounds; round++) {
        snprintf(name, sizeof name, "f%d", round);
        extend(name, 0, size_of_round(round), 1);
        grown[round] = size_of_round(round);
        if (round % 2 == 1) {
            char directory[32];
            snprintf(directory, sizeof directory, FOLDER "/d%d", round);
            check(directory, mkdir(directory));
            snprintf(name, sizeof name, "d%d/inner", round);
            extend(name, 0, size_of_round(round) / 2, 1);
        }
        if (round >= 1) {
            snprintf(name, sizeof name, "f%d", round - 1);
            extend(name, grown[round - 1], GROWTH, 1);
            grown[round - 1] += GROWTH;
        }
        if (round >= 3) {
            char path[64];
            snprintf(path, sizeof path, FOLDER "/f%d", round - 3);
            check(path, unlink(path));
            printf("unlinked f%d\n", round - 3);
        }
        snprintf(name, sizeof name, "scratch%d", round);
        extend(name, 0, size_of_round(round), 0);
    }
    printf("done\n");
    return 0;
}
