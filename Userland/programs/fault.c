/* fault: makes the fault its argument names; the kernel must kill it with status -1 and
 * carry on (ABI.md §3). */
#include <stdio.h>
#include <string.h>

static const char read_only[] = "read-only";

int main(int argc, char **argv) {
    const char *kind = argc > 1 ? argv[1] : "read";
    printf("about to fault: %s\n", kind);
    if (!strcmp(kind, "read")) return *(volatile int *)0x10000000;
    if (!strcmp(kind, "null")) return *(volatile int *)0;
    if (!strcmp(kind, "write-read-only")) { *(volatile char *)read_only = 'X'; return 0; }
    if (!strcmp(kind, "execute-stack")) {
        volatile unsigned char code[4];
        code[0] = 0xc3; /* ret */
        ((void (*)(void))(unsigned char *)code)();
        return 0;
    }
    if (!strcmp(kind, "kernel")) return *(volatile int *)0xffff800000000000;
    if (!strcmp(kind, "gp")) { __asm__ volatile("hlt"); return 0; }
    if (!strcmp(kind, "non-canonical")) return *(volatile int *)0x0000800000000000;
    if (!strcmp(kind, "ud")) { __asm__ volatile("ud2"); return 0; }
    if (!strcmp(kind, "int3")) { __asm__ volatile("int3"); return 0; }
    if (!strcmp(kind, "int80")) { __asm__ volatile("int $0x80"); return 0; }
    if (!strcmp(kind, "divide")) { __asm__ volatile("xor %%ecx, %%ecx; mov $1, %%eax; cdq; idiv %%ecx" : : : "eax", "ecx", "edx"); return 0; }
    /* Returns and calls that read or write the stack as the CPU's own access: under QEMU with
     * SMAP they fault as supervisor accesses on a present user page, which no page-table
     * change fixes. On a CPU that allows them they land on ud2, so the end is the same. */
    if (!strcmp(kind, "iret")) {
        __asm__ volatile("lea 1f(%%rip), %%rax\n"
                         "pushq $0x1b\n" "pushq %%rsp\n" "pushfq\n" "pushq $0x23\n" "pushq %%rax\n"
                         "iretq\n" "1: ud2\n" : : : "rax", "memory");
        return 0;
    }
    if (!strcmp(kind, "lret")) {
        __asm__ volatile("lea 1f(%%rip), %%rax\n" "pushq $0x23\n" "pushq %%rax\n" "lretq\n" "1: ud2\n" : : : "rax", "memory");
        return 0;
    }
    if (!strcmp(kind, "lcall")) {
        static struct { void *target; unsigned short selector; } __attribute__((packed)) far = { 0, 0x23 };
        __asm__ volatile("lea 1f(%%rip), %%rax\n" "mov %%rax, (%0)\n" "mov %0, %%rax\n"
                         ".byte 0x48, 0xff, 0x18\n" /* rex.W lcall *(%rax): far call through m16:64 */
                         "1: ud2\n" : : "r"(&far) : "rax", "memory");
        return 0;
    }
    printf("unknown fault\n");
    return 2;
}
