/* cowexhaust: a child that runs out of memory while its parent goes on. The parent writes
 * 300 MiB and forks; the child rewrites all of it, which needs a copy of every page, more
 * than a 512 MiB machine has left. The kernel ends the child at the copy-on-write fault it
 * cannot serve (status -1, a log line); the parent sees the child gone (a broken pipe),
 * finds its own bytes intact, and can fork again. */
#include <mman.h>
#include <stdio.h>
#include <syscall.h>

#define SIZE (300ul << 20)

int main(void) {
    unsigned char *memory = mmap((void *)0x100000000, SIZE, PROT_READ | PROT_WRITE, -1, 0);
    if ((long)memory < 0) { printf("mmap failed: %ld\n", (long)memory); return 1; }
    for (unsigned long offset = 0; offset < SIZE; offset += 4096) memory[offset] = (unsigned char)(offset >> 12);
    int fds[2];
    pipe(fds);
    int child = fork();
    if (child < 0) { printf("fork failed: %d\n", child); return 1; }
    if (child == 0) {
        close(fds[0]);
        for (unsigned long offset = 0; offset < SIZE; offset += 4096) memory[offset] = 0xFF;
        printf("the child rewrote 300 MiB, which must not happen\n");
        return 0;
    }
    close(fds[1]);
    char byte;
    long result = read(fds[0], &byte, 1);
    unsigned long sum = 0;
    for (unsigned long offset = 0; offset < SIZE; offset += 4096) sum += memory[offset];
    printf("the child is gone (read: %ld); the parent's checksum is still %lu\n", result, sum);
    int again = fork();
    if (again == 0) return 0;
    printf("fork afterwards: %s\n", again > 0 ? "works" : "fails");
    return 0;
}
