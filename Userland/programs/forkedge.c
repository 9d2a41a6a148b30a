/* forkedge: a child forks from the last two bytes of the user half. The address after the
 * `syscall` is 0x0000_8000_0000_0000, where neither the forking process (sysretq) nor its
 * new child (iretq, its first return to ring 3) may be sent: a return there would fault in
 * ring 0. The kernel ends the forking process and makes no child; the first process sees
 * them gone (a broken pipe) and goes on. */
#include <mman.h>
#include <stdio.h>
#include <syscall.h>

#define LAST_PAGE 0x7ffffffff000L

int main(void) {
    unsigned char *page = mmap((void *)LAST_PAGE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, -1, 0);
    if ((long)page != LAST_PAGE) { printf("mmap failed: %ld\n", (long)page); return 1; }
    page[4094] = 0x0f; /* syscall */
    page[4095] = 0x05;
    int fds[2];
    pipe(fds);
    if (fork() == 0) {
        __asm__ volatile("mov $10, %%eax\n" "jmp *%0\n" : : "r"(LAST_PAGE + 4094) : "rax", "memory");
    }
    close(fds[1]);
    char byte;
    long result = read(fds[0], &byte, 1);
    printf("the child that forked from %#lx is gone (read: %ld)\n", LAST_PAGE + 4094, result);
    return 0;
}
