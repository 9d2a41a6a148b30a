/* keepfile MODE: a call that waits keeps the open file it started with (ABI.md §5). A thread
 * waits on a pipe; meanwhile the main thread closes that descriptor and opens hello.txt,
 * which gets the same number; then the pipe becomes ready. The waiting call must finish on
 * the pipe, the file must be untouched, and only later calls on the number reach the file.
 *   read   the thread waits in read on an empty pipe; the main thread then writes to it
 *   write  the thread waits in write of 8 KiB to a full pipe; the main thread then reads it */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include <thread.h>

#define BIG 8192

static char stack[STACK_SIZE] __attribute__((aligned(16)));
static int fds[2], ready[2];
static char buffer[BIG];
static long result;

static void spin(long rounds) { for (volatile long i = 0; i < rounds; i++) {} }

/* Tells the main thread it is about to wait (it waits right after, before any tick is
 * likely), then makes the call that waits. */
static int reads_pipe(void *unused) {
    (void)unused;
    write(ready[1], "r", 1);
    result = read(fds[0], buffer, 64);
    exit(0);
}

static int writes_pipe(void *unused) {
    (void)unused;
    for (int i = 0; i < BIG; i++) buffer[i] = (char)(i * 7 + 3);
    write(ready[1], "w", 1);
    result = write(fds[1], buffer, BIG);
    exit(0);
}

static void show(const char *what, const char *bytes, long count) {
    printf("%s \"", what);
    for (long i = 0; i < count; i++) putchar(bytes[i] == '\n' ? '/' : bytes[i]);
    printf("\"\n");
}

/* Waits until the thread has said it is about to wait, and a while more. */
static void let_it_wait(void) {
    char byte;
    read(ready[0], &byte, 1);
    spin(3000000);
}

static int read_mode(void) {
    int tid = thread_create("reader", stack + STACK_SIZE, reads_pipe, 0);
    let_it_wait();
    close(fds[0]);
    int file = open("hello.txt", O_RDWR);
    printf("closed %d, hello.txt opened as %d\n", fds[0], file);
    printf("write of 10 bytes to the pipe: %ld\n", (long)write(fds[1], "pipe bytes", 10));
    thread_join(tid, 0);
    printf("the waiting read returned %ld\n", result);
    if (result > 0) show("it read", buffer, result);
    char later[16];
    long got = read(file, later, 5);
    printf("a later read of %d returned %ld\n", file, got);
    if (got > 0) show("from hello.txt:", later, got);
    return 0;
}

static int write_mode(void) {
    char full[4096];
    memset(full, 'x', sizeof full);
    /* Half full: the 8 KiB write takes what fits and waits with the rest. */
    write(fds[1], full, 2048);
    int tid = thread_create("writer", stack + STACK_SIZE, writes_pipe, 0);
    let_it_wait();
    close(fds[1]);
    int file = open("hello.txt", O_RDWR);
    printf("closed %d, hello.txt opened as %d\n", fds[1], file);
    char chunk[1000];
    long total = 0, got;
    int in_order = 1;
    while ((got = read(fds[0], chunk, sizeof chunk)) > 0) {
        for (long i = 0; i < got; i++) {
            long at = total + i - 2048;
            char expected = at < 0 ? 'x' : (char)(at * 7 + 3);
            if (chunk[i] != expected) in_order = 0;
        }
        total += got;
    }
    thread_join(tid, 0);
    printf("read %ld bytes from the pipe, %s; then %ld\n", total, in_order ? "in order" : "NOT in order", got);
    printf("the waiting write returned %ld\n", result);
    char file_bytes[32];
    seek(file, 0, SEEK_SET);
    long size = read(file, file_bytes, sizeof file_bytes);
    show("hello.txt holds", file_bytes, size);
    return 0;
}

int main(int argc, char **argv) {
    if (pipe(fds) < 0 || pipe(ready) < 0) return 1;
    if (argc == 2 && strcmp(argv[1], "read") == 0) return read_mode();
    if (argc == 2 && strcmp(argv[1], "write") == 0) return write_mode();
    printf("usage: keepfile read|write\n");
    return 2;
}
