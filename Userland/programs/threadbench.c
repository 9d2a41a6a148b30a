/* threadbench: what threads cost, in time-stamp-counter ticks (rdtsc; under QEMU's software
 * emulation they follow the host's TSC): a thread_create + thread_join round trip of a
 * thread that ends at once, and a round trip of one byte through two pipes between two
 * threads of one process (two waits, two wake-ups, two switches; no page table changes,
 * unlike between processes). The median of several runs of each. */
#include <stdio.h>
#include <syscall.h>
#include <thread.h>
#include <ticks.h>

#define RUNS 5
#define CREATES 200
#define ROUND_TRIPS 2000

static char stack_memory[STACK_SIZE] __attribute__((aligned(16)));

static int ends_at_once(void *unused) {
    (void)unused;
    exit(0);
}

static int ping[2], pong[2];
static int echo(void *unused) {
    (void)unused;
    char byte;
    for (int i = 0; i < ROUND_TRIPS; i++) { read(ping[0], &byte, 1); write(pong[1], &byte, 1); }
    exit(0);
}

int main(void) {
    char *stack = stack_memory + STACK_SIZE;
    unsigned long create_ticks[RUNS], switch_ticks[RUNS];
    for (int run = 0; run < RUNS; run++) {
        unsigned long start = ticks();
        for (int i = 0; i < CREATES; i++) {
            int tid = thread_create("bench", stack, ends_at_once, 0);
            if (tid < 0 || thread_join(tid, 0) < 0) { printf("thread_create or thread_join failed\n"); return 1; }
        }
        create_ticks[run] = (ticks() - start) / CREATES;
    }
    pipe(ping);
    pipe(pong);
    for (int run = 0; run < RUNS; run++) {
        int tid = thread_create("echo", stack, echo, 0);
        char byte = 'x';
        unsigned long start = ticks();
        for (int i = 0; i < ROUND_TRIPS; i++) { write(ping[1], &byte, 1); read(pong[0], &byte, 1); }
        switch_ticks[run] = (ticks() - start) / ROUND_TRIPS;
        thread_join(tid, 0);
    }
    printf("thread create + join: %lu ticks\n", median(create_ticks, RUNS));
    printf("pipe round trip between two threads (two switches): %lu ticks\n", median(switch_ticks, RUNS));
    return 0;
}
