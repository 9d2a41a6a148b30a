/* primes: counts the primes below LIMIT (the first argument, 1,000,000 by default) with four
 * threads, each taking every fourth block of numbers; prints the count and how many
 * time-stamp-counter ticks it took. With several CPUs the four threads run at the same time
 * (apus run --cpus N), so the ticks measure how well the kernel spreads them. */
#include <stdio.h>
#include <syscall.h>
#include <thread.h>
#include <ticks.h>

#define WORKERS 4
#define BLOCK 1000

static char stacks[WORKERS][STACK_SIZE] __attribute__((aligned(16)));
static long limit = 1000000;

static int is_prime(long n) {
    if (n < 2) return 0;
    for (long d = 2; d * d <= n; d++)
        if (n % d == 0) return 0;
    return 1;
}

/* Thread `index` counts the primes in blocks index, index + WORKERS, … */
static int count(void *argument) {
    long index = (long)argument;
    int found = 0;
    for (long start = index * BLOCK; start < limit; start += WORKERS * BLOCK)
        for (long n = start; n < start + BLOCK && n < limit; n++) found += is_prime(n);
    exit(found);
}

static long parse(const char *text) {
    long value = 0;
    for (; *text >= '0' && *text <= '9'; text++) value = value * 10 + (*text - '0');
    return value;
}

int main(int argc, char **argv) {
    if (argc > 1 && parse(argv[1]) > 0) limit = parse(argv[1]);
    unsigned long start = ticks();
    int tids[WORKERS];
    for (long i = 0; i < WORKERS; i++) {
        tids[i] = thread_create("counter", stacks[i] + STACK_SIZE, count, (void *)i);
        if (tids[i] < 0) { printf("thread_create failed: %d\n", tids[i]); return 1; }
    }
    int total = 0;
    for (int i = 0; i < WORKERS; i++) {
        int found = 0;
        if (thread_join(tids[i], &found) < 0) { printf("thread_join failed\n"); return 1; }
        total += found;
    }
    unsigned long elapsed = ticks() - start;
    printf("%d primes below %ld\n", total, limit);
    printf("ticks: %lu\n", elapsed);
    return 0;
}
