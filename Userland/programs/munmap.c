/* munmap: the whole mapping goes, and only an exact start unmaps (ABI.md §4). */
#include <mman.h>
#include <stdio.h>
#include <syscall.h>

int main(void) {
    char *area = mmap((void *)0x10000000, 3 * 4096, PROT_READ | PROT_WRITE, -1, 0);
    area[0] = 'a';
    area[8192] = 'c';
    printf("interior page: %d\n", munmap(area + 4096));
    printf("interior byte: %d\n", munmap(area + 1));
    printf("NULL: %d\n", munmap(0));
    printf("kernel: %d\n", munmap((void *)0xffff800000000000));
    printf("still there: %c %c\n", area[0], area[8192]);
    printf("unmap: %d\n", munmap(area));
    printf("write after: %ld, getphys after: %ld\n", write(1, area + 8192, 1), getphys(area, 0));
    printf("again: %d\n", munmap(area));
    char *again = mmap(area, 4096, PROT_READ | PROT_WRITE, -1, 0);
    printf("remapped: %p, reads %d\n", again, again[0]);
    printf("unmap the stack's middle: %d\n", munmap((void *)0x47478000));
    return 0;
}
