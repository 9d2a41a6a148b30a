/* sse: the program's SSE registers keep their values across system calls. */
#include <stdio.h>
#include <syscall.h>

int main(void) {
    double values[2] = { 1.5, 2.25 };
    double after[2] = { 0, 0 };
    __asm__ volatile(
        "movupd (%0), %%xmm6\n"
        "movupd (%0), %%xmm15\n"
        "mov $5, %%eax\n" "mov $1, %%edi\n" "syscall\n"
        "mov $5, %%eax\n" "mov $2, %%edi\n" "syscall\n"
        "movupd %%xmm6, (%1)\n"
        : : "r"(values), "r"(after) : "rax", "rcx", "rdx", "rdi", "rsi", "r11", "xmm6", "xmm15", "memory");
    double product = after[0] * after[1] * 4.0;
    printf("xmm6 after two syscalls: %d.%02d %d.%02d, product x4 = %d\n", (int)after[0], (int)(after[0] * 100) % 100,
           (int)after[1], (int)(after[1] * 100) % 100, (int)product);
    return 0;
}
