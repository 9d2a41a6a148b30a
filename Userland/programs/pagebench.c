/* pagebench: what the pager makes memory cost, in time-stamp-counter ticks (rdtsc): mmap
 * and munmap of 64 MiB left untouched, the first touch of a page (64 MiB touched page by
 * page), and munmap of a 1 GiB mapping touched once every 16 MiB. Run it with
 * `apus run --pager lazy pagebench` and `--pager eager`: lazily, mmap does not grow with
 * the size and munmap grows with the pages touched; eagerly, mmap fills every page (and
 * 1 GiB does not fit in a 512 MiB machine). The median of five runs of each. */
#include <mman.h>
#include <stdio.h>
#include <ticks.h>

#define MIB (1ul << 20)
#define RUNS 5

int main(void) {
    unsigned long map[RUNS], touch[RUNS], sparse[RUNS];
    for (int run = 0; run < RUNS; run++) {
        unsigned long start = ticks();
        unsigned char *memory = mmap((void *)0x100000000, 64 * MIB, PROT_READ | PROT_WRITE, -1, 0);
        munmap(memory);
        map[run] = ticks() - start;

        memory = mmap((void *)0x100000000, 64 * MIB, PROT_READ | PROT_WRITE, -1, 0);
        start = ticks();
        for (unsigned long offset = 0; offset < 64 * MIB; offset += 4096) memory[offset] = 1;
        touch[run] = (ticks() - start) / (64 * MIB / 4096);
        munmap(memory);

        memory = mmap((void *)0x100000000, 1024 * MIB, PROT_READ | PROT_WRITE, -1, 0);
        if ((long)memory < 0) { sparse[run] = 0; continue; }
        for (unsigned long offset = 0; offset < 1024 * MIB; offset += 16 * MIB) memory[offset] = 1;
        start = ticks();
        munmap(memory);
        sparse[run] = ticks() - start;
    }
    printf("mmap+munmap of 64 MiB, untouched: %lu ticks\n", median(map, RUNS));
    printf("first touch, per page: %lu ticks\n", median(touch, RUNS));
    unsigned long unmap = median(sparse, RUNS);
    if (unmap) printf("munmap of 1 GiB with 64 pages touched: %lu ticks\n", unmap);
    else printf("munmap of 1 GiB with 64 pages touched: 1 GiB cannot be mapped\n");
    return 0;
}
