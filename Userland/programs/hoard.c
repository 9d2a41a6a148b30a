/* hoard: takes as much kernel state as a program can (every descriptor as pipes, each pipe
 * full, then one-page mappings until memory runs out) and exits without giving any of it
 * back. The kernel must refuse with error codes, never fall over, and reclaim everything. */
#include <mman.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

static char page[4096];

int main(void) {
    int pipes = 0, fds[2];
    long filled = 0, refused;
    memset(page, 'p', sizeof page);
    while ((refused = pipe(fds)) == 0) {
        pipes++;
        long written = write(fds[1], page, sizeof page); /* exactly a pipe's capacity: fills it without waiting */
        if (written > 0) filled += written;
    }
    long mappings = 0, result = 0;
    for (;;) {
        result = (long)mmap((void *)(0x100000000 + mappings * 0x2000), 4096, PROT_READ | PROT_WRITE, -1, 0);
        if (result < 0) break;
        mappings++;
    }
    printf("%d pipes holding %ld bytes, then %ld; %s mappings, then %ld\n", pipes, filled, refused,
           mappings > 100000 ? "over 100000" : "too few", result);
    return 0;
}
