/* pipeatomic [SIZE | stuck]: two processes each write 200 records of SIZE bytes (3000 by default)
 * to one pipe while their parent reads whole records from it (ABI.md §5). A write of at
 * most 4,096 bytes (PIPE_BUF) is never interleaved with another write, so every record the
 * parent reads comes whole from one writer, and each writer's records in order. Larger
 * writes may interleave: the program then only counts what it saw.
 *
 * A record is SIZE bytes: the writer's letter, its number (two bytes, low first), then the
 * letter again to the end. The parent reads in 1,000-byte pieces, so the pipe fills and
 * both writers wait on it, over and over.
 *
 * `pipeatomic stuck`: a write of 100 bytes to a pipe that holds 4,000 and that nobody reads
 * waits for room that never comes: the kernel sees the deadlock and ends the process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syscall.h>

#define RECORDS 200
#define MOST 16384

static unsigned char record[MOST];

static int writer(int fd, char letter, long size) {
    for (int number = 0; number < RECORDS; number++) {
        record[0] = (unsigned char)letter;
        record[1] = (unsigned char)(number & 0xFF);
        record[2] = (unsigned char)(number >> 8);
        for (long i = 3; i < size; i++) record[i] = (unsigned char)letter;
        long put = write(fd, record, size);
        if (put != size) { printf("writer %c: write returned %ld of %ld\n", letter, put, size); return 1; }
    }
    return 0;
}

/* Whether `bytes` is one writer's record: its letter throughout and the number it is due. */
static int whole(const unsigned char *bytes, long size, int *next_a, int *next_b) {
    char letter = (char)bytes[0];
    int *next = letter == 'A' ? next_a : letter == 'B' ? next_b : 0;
    if (!next) return 0;
    for (long i = 3; i < size; i++) if (bytes[i] != (unsigned char)letter) return 0;
    if (bytes[1] + (bytes[2] << 8) != *next) return 0;
    (*next)++;
    return 1;
}

static int stuck(void) {
    int fds[2];
    static unsigned char bytes[4000];
    if (pipe(fds) < 0) return 1;
    printf("wrote %ld bytes; now 100 more\n", (long)write(fds[1], bytes, sizeof bytes));
    printf("the write of 100 bytes returned %ld\n", (long)write(fds[1], bytes, 100));
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "stuck") == 0) return stuck();
    long size = argc > 1 ? strtol(argv[1], 0, 10) : 3000;
    if (size < 3 || size > MOST) { printf("usage: pipeatomic [SIZE from 3 to %d]\n", MOST); return 2; }
    int fds[2];
    if (pipe(fds) < 0) return 1;
    for (int child = 0; child < 2; child++) {
        int id = fork();
        if (id < 0) { printf("fork failed: %d\n", id); return 1; }
        if (id == 0) {
            close(fds[0]);
            return writer(fds[1], child == 0 ? 'A' : 'B', size);
        }
    }
    close(fds[1]);
    int next_a = 0, next_b = 0;
    long records = 0, mixed = 0, filled = 0, got;
    while ((got = read(fds[0], record + filled, size - filled < 1000 ? size - filled : 1000)) > 0) {
        filled += got;
        if (filled < size) continue;
        records++;
        if (!whole(record, size, &next_a, &next_b)) mixed++;
        filled = 0;
    }
    if (size <= 4096) {
        printf("%ld records of %ld bytes from two writers, %ld mixed; then %ld\n", records, size, mixed, got);
    } else {
        printf("%ld records of %ld bytes from two writers; then %ld\n", records, size, got);
    }
    return 0;
}
