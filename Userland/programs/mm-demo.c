/* mm-demo: maps, uses and unmaps memory, saying what it does. */
#include <fcntl.h>
#include <mman.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

int main(void) {
    printf("mm-demo: the memory of a process on Apus\n");
    char *heap = mmap((void *)0x10000000, 1 << 20, PROT_READ | PROT_WRITE, -1, 0);
    printf("mapped 1 MiB of zeroed memory at %p\n", heap);
    for (int i = 0; i < (1 << 20); i += 4096) heap[i] = (char)i;
    printf("touched its 256 pages; page 3 is at physical %p\n", (void *)getphys(heap + 3 * 4096, 0));
    int fd = (int)open("motd.txt", O_RDONLY);
    char *text = mmap((void *)0x20000000, 4096, PROT_READ, fd, 0);
    close(fd);
    printf("mapped motd.txt read-only and closed it; it still says: %.12s\n", text);
    printf("its page table entry flags: %#lx (present, user, no-execute)\n", getphys(text, 1));
    printf("writing to it would kill this program; asking the kernel to write there instead: %ld\n", read(0, text, 1));
    printf("unmapping both: %d %d\n", munmap(heap), munmap(text));
    printf("the addresses are free again: %s\n", mmap(heap, 4096, PROT_READ, -1, 0) == heap ? "yes" : "no");
    return 0;
}
