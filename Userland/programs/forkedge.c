/* forkedge [rip|rsp]: a child calls fork() where the way back is not one a program can take:
 * `rip`: from the last two bytes of the user half, so the address after `syscall` is
 * 0x0000_8000_0000_0000, the first non-canonical address; `rsp`: with a non-canonical stack
 * pointer. The caller cannot go on (it is ended with status -1, or faults), and its fork
 * must not leave a grandchild that the kernel would start at that address (an `iretq` to a
 * non-canonical address faults in ring 0). The first process waits for the caller's end
 * through a pipe that only the caller (and a grandchild) holds. */
#include <mman.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

#define LAST_PAGE 0x7ffffffff000L

int main(int argc, char **argv) {
    int rsp = argc > 1 && strcmp(argv[1], "rsp") == 0;
    int link[2];
    pipe(link);
    if (fork() == 0) {
        close(link[0]);
        if (rsp) {
            __asm__ volatile("mov $10, %%eax\n" "movabs $0x8000000000000000, %%rsp\n" "syscall\n" "ud2\n" : : : "rax", "memory");
        }
        unsigned char *page = mmap((void *)LAST_PAGE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, -1, 0);
        if ((long)page != LAST_PAGE) return 1;
        page[4094] = 0x0f; /* syscall */
        page[4095] = 0x05;
        __asm__ volatile("mov $10, %%eax\n" "jmp *%0\n" : : "r"(LAST_PAGE + 4094) : "rax", "memory");
        return 2;
    }
    close(link[1]);
    char byte;
    long got = read(link[0], &byte, 1);
    printf("the child that forked at a %s no program can use is gone: read %ld\n", rsp ? "stack pointer" : "return address", got);
    return 0;
}
