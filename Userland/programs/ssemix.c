/* ssemix: a parent and its child compute with SSE at the same time, each in its own
 * rounding mode (MXCSR), while the timer switches between them hundreds of times. Each
 * result must equal the one computed before the fork, alone: no register and no mode of one
 * process may leak into the other. The child reports through a pipe. */
#include <stdio.h>
#include <syscall.h>

#define ROUNDS 4
#define STEPS 2000000

static unsigned int get_mxcsr(void) { unsigned int m; __asm__ volatile("stmxcsr %0" : "=m"(m)); return m; }
static void set_mxcsr(unsigned int m) { __asm__ volatile("ldmxcsr %0" : : "m"(m)); }

static double work(volatile double *seed) {
    double x = *seed, acc = 0;
    for (long i = 0; i < STEPS; i++) {
        x = x * 1.0000001 + 0.5 / (double)(i + 1);
        acc += x / (1.0 + (double)(i % 7));
    }
    return acc;
}

int main(void) {
    volatile double parent_seed = 1.5, child_seed = 2.25;
    unsigned int normal = get_mxcsr() & ~0x3Fu, toward_zero = normal | 0x6000u;
    double parent_expected = work(&parent_seed);
    set_mxcsr(toward_zero);
    double child_expected = work(&child_seed);
    set_mxcsr(normal);
    int report[2];
    pipe(report);
    if (fork() == 0) {
        set_mxcsr(toward_zero);
        long wrong = 0;
        for (int round = 0; round < ROUNDS; round++) wrong += work(&child_seed) != child_expected;
        wrong += (get_mxcsr() & ~0x3Fu) != toward_zero; /* the exception flags aside */
        write(report[1], &wrong, sizeof wrong);
        return 0;
    }
    long wrong = 0, child_wrong = -1;
    for (int round = 0; round < ROUNDS; round++) wrong += work(&parent_seed) != parent_expected;
    wrong += (get_mxcsr() & ~0x3Fu) != (normal & ~0x3Fu);
    read(report[0], &child_wrong, sizeof child_wrong);
    printf("parent: %ld wrong, child: %ld wrong, results differ by mode: %s\n", wrong, child_wrong,
           parent_expected != child_expected ? "yes" : "no");
    return 0;
}
