/* pipeline: 1 MiB from a child to its parent through a pipe, written and read in odd chunk
 * sizes, so both sides wait on the pipe (full, then empty) many times. The parent reads
 * until BrokenPipe, which comes once the child has ended and closed its write end. */
#include <stdio.h>
#include <syscall.h>

#define TOTAL (1 << 20)

static unsigned char chunk[5000];

int main(void) {
    int fds[2];
    if (pipe(fds) < 0) return 1;
    int child = fork();
    if (child < 0) { printf("fork failed: %d\n", child); return 1; }
    if (child == 0) {
        close(fds[0]);
        unsigned char next = 0;
        long sent = 0;
        static const int sizes[] = { 1, 4093, 777, 5000, 4096, 13, 2048 };
        for (int i = 0; sent < TOTAL; i++) {
            long size = sizes[i % 7];
            if (size > TOTAL - sent) size = TOTAL - sent;
            for (long j = 0; j < size; j++) chunk[j] = next++;
            long put = write(fds[1], chunk, size);
            if (put != size) { printf("child: write returned %ld of %ld\n", put, size); return 1; }
            sent += put;
        }
        return 0;
    }
    close(fds[1]);
    unsigned char expected = 0;
    long received = 0, reads = 0, result;
    static const int sizes[] = { 999, 3, 4096, 1501, 7 };
    while ((result = read(fds[0], chunk, sizes[reads % 5])) > 0) {
        for (long j = 0; j < result; j++) {
            if (chunk[j] != expected++) { printf("byte %ld is wrong\n", received + j); return 1; }
        }
        received += result;
        reads++;
    }
    printf("received %ld bytes in order from process %d; then %ld (BrokenPipe: the child is gone)\n", received, child > 0 ? 2 : -1, result);
    return received == TOTAL ? 0 : 1;
}
