/* stdinedge: reads standard input in every odd way a program can, each answered with the
 * documented result and none stopping the kernel (ABI.md §2): NULL, kernel and read-only
 * buffers, a buffer running off its mapping, counts of SIZE_MAX and 2^62, 0 bytes (which
 * never waits, even while more input may come), then the input itself, a write to it, and
 * a read after closing it. Run it with "abc" as input. */
#include <stdio.h>
#include <syscall.h>

static char buffer[64];
static const char constant[16] = "read-only";
#define STACK_TOP 0x47480000ull

int main(void) {
    char *kernel = (char *)0xFFFF800000000000ull;
    char *window = (char *)0x500000000000ull;
    char *stackEnd = (char *)(STACK_TOP - 8);
    printf("NULL: %ld\n", (long)read(0, 0, 1));
    printf("NULL, 0 bytes: %ld\n", (long)read(0, 0, 0));
    printf("kernel half: %ld\n", (long)read(0, kernel, 1));
    printf("kernel window: %ld\n", (long)read(0, window, 1));
    printf("non-canonical: %ld\n", (long)read(0, (char *)0x0000800000000000ull, 1));
    printf("read-only data: %ld\n", (long)read(0, (char *)constant, 4));
    printf("code: %ld\n", (long)read(0, (char *)main, 4));
    printf("off the stack's end: %ld\n", (long)read(0, stackEnd, 16));
    printf("SIZE_MAX bytes: %ld\n", (long)read(0, buffer, (size_t)-1));
    printf("2^62 bytes: %ld\n", (long)read(0, buffer, 1ull << 62));
    printf("0 bytes: %ld\n", (long)read(0, buffer, 0));
    ssize_t got = 0;
    while (got < 3) {
        ssize_t count = read(0, buffer + got, 3 - got);
        if (count <= 0) break;
        got += count;
    }
    printf("the input: %ld \"%s\"\n", (long)got, buffer);
    printf("write to stdin: %ld\n", (long)write(0, buffer, 1));
    printf("after the end: %ld\n", (long)read(0, buffer, sizeof buffer));
    printf("close: %ld\n", (long)close(0));
    printf("after close: %ld\n", (long)read(0, buffer, 1));
    return 0;
}
