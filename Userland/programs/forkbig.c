/* forkbig: a process that wrote every page of 64 MiB forks 12 times, one child after the
 * other; each child rewrites every page (64 MiB of copy-on-write copies) and ends. The
 * parent's bytes never change, and no frame is lost (the test checks the counts). */
#include <mman.h>
#include <stdio.h>
#include <syscall.h>

#define SIZE (64ul << 20)

int main(void) {
    unsigned char *memory = mmap((void *)0x100000000, SIZE, PROT_READ | PROT_WRITE, -1, 0);
    if ((long)memory < 0) { printf("mmap failed: %ld\n", (long)memory); return 1; }
    for (unsigned long offset = 0; offset < SIZE; offset += 4096) memory[offset] = (unsigned char)(offset >> 12);
    for (int round = 0; round < 12; round++) {
        int fds[2];
        pipe(fds);
        int child = fork();
        if (child < 0) { printf("fork %d failed: %d\n", round, child); return 1; }
        if (child == 0) {
            close(fds[0]);
            for (unsigned long offset = 0; offset < SIZE; offset += 4096) memory[offset] = (unsigned char)(round + 1);
            return 0;
        }
        close(fds[1]);
        char byte;
        read(fds[0], &byte, 1); /* BrokenPipe once the child has ended */
        close(fds[0]);
    }
    unsigned long sum = 0;
    for (unsigned long offset = 0; offset < SIZE; offset += 4096) sum += memory[offset];
    printf("12 children rewrote 64 MiB each; the parent's checksum is still %lu\n", sum);
    return 0;
}
