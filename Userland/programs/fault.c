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
    printf("unknown fault\n");
    return 2;
}
