/* mmap_fault: a write to a read-only file mapping kills the program. */
#include <fcntl.h>
#include <mman.h>
#include <stdio.h>

int main(void) {
    int fd = (int)open("motd.txt", O_RDONLY);
    char *file = mmap((void *)0x20000000, 4096, PROT_READ, fd, 0);
    printf("mapped: %.4s\n", file);
    file[0] = 'X';
    printf("still alive\n");
    return 0;
}
