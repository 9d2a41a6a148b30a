/* The `syscall` instruction: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9, the
 * result in rax; rcx and r11 are lost (ABI.md §1). Apus and Linux share this convention, so
 * the KeOS calls over Linux's (Userland/linux/syscall.c) use it too. */
#include <syscall.h>

long syscall6(long number, long a, long b, long c, long d, long e, long f) {
    long result;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return result;
}
