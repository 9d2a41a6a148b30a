/* threads: counts the primes below 200,000 with four threads, each taking every fourth
 * block of numbers, and joins them: each thread's count comes back as its exit status. */
#include <stdio.h>
#include <syscall.h>
#include <thread.h>

#define WORKERS 4
#define LIMIT 200000
#define BLOCK 1000

static char stacks[WORKERS][STACK_SIZE] __attribute__((aligned(16)));

static int is_prime(int n) {
    if (n < 2) return 0;
    for (int d = 2; d * d <= n; d++)
        if (n % d == 0) return 0;
    return 1;
}

/* Thread `index` counts the primes in blocks index, index + WORKERS, … */
static int count(void *argument) {
    long index = (long)argument;
    int found = 0;
    for (int start = (int)index * BLOCK; start < LIMIT; start += WORKERS * BLOCK)
        for (int n = start; n < start + BLOCK && n < LIMIT; n++) found += is_prime(n);
    exit(found);
}

int main(void) {
    int tids[WORKERS];
    for (long i = 0; i < WORKERS; i++) {
        tids[i] = thread_create("counter", stacks[i] + STACK_SIZE, count, (void *)i);
        if (tids[i] < 0) { printf("thread_create failed: %d\n", tids[i]); return 1; }
    }
    int total = 0;
    for (int i = 0; i < WORKERS; i++) {
        int found = 0;
        int result = thread_join(tids[i], &found);
        if (result < 0) { printf("thread_join failed: %d\n", result); return 1; }
        printf("thread %d found %d primes\n", i, found);
        total += found;
    }
    printf("%d primes below %d\n", total, LIMIT);
    return 0;
}
