/* sse: the program's SSE registers keep their values across system calls, including
 * those that copy data between the kernel and the program (a file read, a pipe write and
 * read), and across page faults the kernel resolves (the first touch of a lazy page, by the
 * program and by a read into it). */
#include <fcntl.h>
#include <mman.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

int main(void) {
    double values[2] = { 1.5, 2.25 };
    double after[4] = { 0, 0, 0, 0 };
    char buffer[64];
    int fds[2];
    memset(buffer, 0, sizeof buffer);
    long file = open("hello.txt", O_RDONLY);
    if (file < 0 || pipe(fds) < 0) { printf("setup failed\n"); return 1; }
    long pipe_read = fds[0], pipe_write = fds[1];
    char *fresh = mmap((void *)0x10000000, 2 * 4096, PROT_READ | PROT_WRITE, -1, 0); /* never touched before the asm */
    if ((long)fresh < 0) { printf("mmap failed\n"); return 1; }
    __asm__ volatile(
        "movupd (%0), %%xmm6\n"
        "movupd (%0), %%xmm15\n"
        "mov $5, %%eax\n" "mov $1, %%edi\n" "syscall\n"                                     /* tell(1) */
        "mov $2, %%eax\n" "mov %2, %%rdi\n" "mov %5, %%rsi\n" "mov $13, %%edx\n" "syscall\n"  /* read(file, buffer, 13) */
        "mov $3, %%eax\n" "mov %4, %%rdi\n" "mov %5, %%rsi\n" "mov $13, %%edx\n" "syscall\n"  /* write(pipe, buffer, 13) */
        "mov $2, %%eax\n" "mov %3, %%rdi\n" "lea 32(%5), %%rsi\n" "mov $13, %%edx\n" "syscall\n" /* read(pipe, buffer + 32, 13) */
        "movb $1, (%6)\n"                                                                    /* a fault the kernel resolves */
        "mov $4, %%eax\n" "mov %2, %%rdi\n" "xor %%esi, %%esi\n" "xor %%edx, %%edx\n" "syscall\n"     /* seek(file, 0, SEEK_SET) */
        "mov $2, %%eax\n" "mov %2, %%rdi\n" "lea 4096(%6), %%rsi\n" "mov $13, %%edx\n" "syscall\n"  /* read(file) into an untouched page */
        "movupd %%xmm6, (%1)\n"
        "movupd %%xmm15, 16(%1)\n"
        : : "r"(values), "r"(after), "r"(file), "r"(pipe_read), "r"(pipe_write), "r"(buffer), "r"(fresh)
        : "rax", "rcx", "rdx", "rdi", "rsi", "r11", "xmm6", "xmm15", "memory");
    double product = after[0] * after[1] * 4.0;
    printf("xmm6 after two syscalls: %d.%02d %d.%02d, product x4 = %d\n", (int)after[0], (int)(after[0] * 100) % 100,
           (int)after[1], (int)(after[1] * 100) % 100, (int)product);
    printf("xmm15 %s; through the pipe: %s", after[2] == 1.5 && after[3] == 2.25 ? "kept" : "changed", buffer + 32);
    printf("read into a fresh page: %.13s", fresh + 4096);
    return 0;
}
