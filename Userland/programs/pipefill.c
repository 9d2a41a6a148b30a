/* pipefill: moves 64 MiB (16,389 reads of 4095 bytes) through one pipe that never empties. The pipe is filled first,
 * then read and written 4095 bytes at a time, so it always holds bytes while it is written:
 * a pipe whose buffer grew with such a pattern would fill the kernel heap. Every byte is
 * checked on its way out. */
#include <stdio.h>
#include <syscall.h>

#define TOTAL (64L << 20)

static unsigned char out[4096], in[4096];

int main(void) {
    int fds[2];
    if (pipe(fds) < 0) { printf("pipe failed\n"); return 1; }
    unsigned char next_out = 0, next_in = 0;
    long written = 0, read_total = 0;
    for (int i = 0; i < 4096; i++) out[i] = next_out++;
    if (write(fds[1], out, 4096) != 4096) { printf("first write failed\n"); return 1; }
    written = 4096;
    while (read_total < TOTAL) {
        long got = read(fds[0], in, 4095);
        if (got != 4095) { printf("read returned %ld after %ld bytes\n", got, read_total); return 1; }
        for (long i = 0; i < got; i++) {
            if (in[i] != next_in++) { printf("byte %ld is wrong\n", read_total + i); return 1; }
        }
        read_total += got;
        for (int i = 0; i < 4095; i++) out[i] = next_out++;
        long put = write(fds[1], out, 4095);
        if (put != 4095) { printf("write returned %ld after %ld bytes\n", put, written); return 1; }
        written += put;
    }
    printf("moved %ld bytes through one pipe that never emptied\n", read_total);
    return 0;
}
