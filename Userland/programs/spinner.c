/* spinner: a child that spins forever without a system call must not starve its parent.
 * The parent waits until the child has started spinning (a byte on a pipe), then computes;
 * only the timer can take the CPU from the child. The run ends with the parent, which ends
 * the child too. */
#include <stdio.h>
#include <syscall.h>

int main(void) {
    int fds[2];
    pipe(fds);
    int child = fork();
    if (child < 0) { printf("fork failed: %d\n", child); return 1; }
    if (child == 0) {
        write(fds[1], "s", 1);
        for (;;) __asm__ volatile("" ::: "memory");
    }
    char signal;
    read(fds[0], &signal, 1);
    unsigned long sum = 0;
    for (unsigned long i = 0; i < 20000000; i++) sum += i ^ (i >> 3);
    printf("the parent computed %lu while its child spun\n", sum);
    return 0;
}
