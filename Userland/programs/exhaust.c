/* exhaust: maps far more than the machine has and touches it page by page until no frame
 * is left. The kernel ends the program at the fault it cannot serve (status -1, a log line
 * with the page and the program's frames) and goes on: the run after it starts afresh and
 * finds every frame back. */
#include <mman.h>
#include <stdio.h>

int main(void) {
    const unsigned long size = 2ul << 30;
    unsigned char *memory = mmap((void *)0x100000000, size, PROT_READ | PROT_WRITE, -1, 0);
    if ((long)memory < 0) { printf("mmap failed: %ld\n", (long)memory); return 1; }
    printf("mapped 2 GiB, touching it\n");
    for (unsigned long offset = 0; offset < size; offset += 4096) memory[offset] = 1;
    printf("touched 2 GiB, which must not happen in 512 MiB\n");
    return 0;
}
