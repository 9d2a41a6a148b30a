/* segments: the data segment registers (DS, ES, FS, GS) are process state like any other.
 * A program starts with them null; a forked child starts with its parent's; a child that
 * sets others and spins leaves its parent's, preempted meanwhile, as they were. The values
 * are ones an `iretq` to ring 3 keeps: the user data segment (0x1b), and null selectors
 * with a nonzero RPL in FS and GS. */
#include <stdio.h>
#include <syscall.h>

static unsigned short sel(int which) {
    unsigned short value = 0;
    switch (which) {
    case 0: __asm__ volatile("mov %%ds, %0" : "=r"(value)); break;
    case 1: __asm__ volatile("mov %%es, %0" : "=r"(value)); break;
    case 2: __asm__ volatile("mov %%fs, %0" : "=r"(value)); break;
    default: __asm__ volatile("mov %%gs, %0" : "=r"(value)); break;
    }
    return value;
}

int main(void) {
    unsigned short start[4], before[4];
    for (int i = 0; i < 4; i++) start[i] = sel(i);
    __asm__ volatile("mov %0, %%es\n" "mov %1, %%fs\n" : : "r"(0x1b), "r"(2));
    for (int i = 0; i < 4; i++) before[i] = sel(i);
    int go[2];
    pipe(go);
    if (fork() == 0) {
        char inherited = sel(1) == 0x1b && sel(2) == 2 ? 'y' : 'n';
        __asm__ volatile("mov %0, %%es\n" "mov %1, %%fs\n" "mov %2, %%gs\n" : : "r"(0), "r"(1), "r"(3));
        write(go[1], &inherited, 1);
        for (;;) {}
    }
    char byte;
    read(go[0], &byte, 1);
    for (volatile long i = 0; i < 3000000; i++) {} /* the child runs meanwhile */
    int same = 1;
    for (int i = 0; i < 4; i++) same &= sel(i) == before[i];
    printf("segments at the start: %#x %#x %#x %#x; the child's ES and FS are its parent's: %s; the parent's are unchanged by the child: %s\n",
           start[0], start[1], start[2], start[3], byte == 'y' ? "yes" : "no", same ? "yes" : "no");
    return 0;
}
