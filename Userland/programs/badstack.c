/* badstack: user stack pointers the kernel must hand back untouched. A child spins with a
 * non-canonical rsp, so every timer tick returns to it with that rsp (iretq); another child
 * forks from a syscall made with a non-canonical rsp, and its copy starts with it. Neither
 * may stop the kernel: the first only loses its time slices, the second faults in ring 3 at
 * its first push and dies alone. The parent computes meanwhile and ends the run. */
#include <stdio.h>
#include <syscall.h>

int main(void) {
    if (fork() == 0) {
        __asm__ volatile("movabs $0x800000000000, %%rsp\n1: jmp 1b" ::: "memory");
    }
    if (fork() == 0) {
        __asm__ volatile("movabs $0x800000000000, %%rsp\n"
                         "mov $10, %%eax\n"
                         "syscall\n"
                         "push %%rax\n" /* both sides: a push through a non-canonical rsp faults */
                         "ud2" ::: "memory");
    }
    unsigned long sum = 0;
    for (unsigned long i = 0; i < 30000000; i++) sum += i & 7;
    printf("the parent went on: %lu\n", sum);
    return 0;
}
