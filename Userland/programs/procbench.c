/* procbench: what processes cost, in time-stamp-counter ticks (rdtsc; under QEMU's software
 * emulation they follow the host's TSC): fork of a process that touched 64 MiB (per page
 * shared), a copy-on-write fault (per page), and a context switch measured as a round trip
 * of one byte through two pipes between two processes. The median of several runs of each. */
#include <mman.h>
#include <stdio.h>
#include <syscall.h>
#include <ticks.h>

#define SIZE (64ul << 20)
#define PAGES (SIZE >> 12)
#define RUNS 5
#define ROUND_TRIPS 2000

int main(void) {
    unsigned char *memory = mmap((void *)0x100000000, SIZE, PROT_READ | PROT_WRITE, -1, 0);
    if ((long)memory < 0) { printf("mmap failed: %ld\n", (long)memory); return 1; }
    for (unsigned long offset = 0; offset < SIZE; offset += 4096) memory[offset] = 1;

    unsigned long fork_ticks[RUNS], cow_ticks[RUNS];
    for (int run = 0; run < RUNS; run++) {
        int report[2];
        pipe(report);
        unsigned long start = ticks();
        int child = fork();
        if (child == 0) {
            unsigned long forked = ticks() - start;
            unsigned long copy_start = ticks();
            for (unsigned long offset = 0; offset < SIZE; offset += 4096) memory[offset] = 2;
            unsigned long copied = ticks() - copy_start;
            unsigned long results[2] = { forked, copied };
            write(report[1], results, sizeof results);
            return 0;
        }
        close(report[1]);
        unsigned long results[2];
        read(report[0], results, sizeof results);
        close(report[0]);
        fork_ticks[run] = results[0];
        cow_ticks[run] = results[1];
    }

    unsigned long switch_ticks[RUNS];
    for (int run = 0; run < RUNS; run++) {
        int ping[2], pong[2];
        pipe(ping);
        pipe(pong);
        int child = fork();
        char byte = 'x';
        if (child == 0) {
            for (int i = 0; i < ROUND_TRIPS; i++) { read(ping[0], &byte, 1); write(pong[1], &byte, 1); }
            return 0;
        }
        unsigned long start = ticks();
        for (int i = 0; i < ROUND_TRIPS; i++) { write(ping[1], &byte, 1); read(pong[0], &byte, 1); }
        switch_ticks[run] = (ticks() - start) / ROUND_TRIPS;
        close(ping[0]); close(ping[1]); close(pong[0]); close(pong[1]);
    }
    printf("fork of 64 MiB touched: %lu ticks in all, %lu per page shared\n", median(fork_ticks, RUNS), median(fork_ticks, RUNS) / PAGES);
    printf("copy-on-write fault: %lu ticks per page\n", median(cow_ticks, RUNS) / PAGES);
    printf("pipe round trip between two processes (two switches): %lu ticks\n", median(switch_ticks, RUNS));
    return 0;
}
