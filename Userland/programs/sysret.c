/* sysret: makes a system call from the last two bytes of the user half, so that the
 * address after the `syscall` instruction, where the kernel returns to, is
 * 0x0000_8000_0000_0000: the first non-canonical address. On Intel CPUs a `sysretq` there
 * faults in ring 0 on the program's stack (the SYSRET flaw); the kernel must instead end the
 * program with status -1 (ABI.md §3: its next instruction could never run). */
#include <mman.h>
#include <stdio.h>

#define LAST_PAGE 0x7ffffffff000L

int main(void) {
    unsigned char *page = mmap((void *)LAST_PAGE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, -1, 0);
    if ((long)page != LAST_PAGE) { printf("mmap of the last user page failed: %ld\n", (long)page); return 1; }
    page[4094] = 0x0f; /* syscall */
    page[4095] = 0x05;
    printf("system call from %#lx\n", LAST_PAGE + 4094);
    __asm__ volatile("mov $5, %%eax\n" "mov $1, %%edi\n" "jmp *%0\n" : : "r"(LAST_PAGE + 4094) : "rax", "rdi", "memory");
    printf("came back, which must not happen\n");
    return 2;
}
