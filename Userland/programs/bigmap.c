/* bigmap: maps and touches 64 MiB, then exits without unmapping: the kernel must take every
 * frame back. */
#include <mman.h>
#include <stdio.h>

int main(void) {
    const unsigned long size = 64ul << 20;
    unsigned char *memory = mmap((void *)0x100000000, size, PROT_READ | PROT_WRITE, -1, 0);
    if ((long)memory < 0) { printf("mmap failed: %ld\n", (long)memory); return 1; }
    unsigned long sum = 0;
    for (unsigned long offset = 0; offset < size; offset += 4096) { memory[offset] = (unsigned char)(offset >> 12); sum += memory[offset]; }
    printf("touched 64 MiB, checksum %lu\n", sum);
    return 0;
}
