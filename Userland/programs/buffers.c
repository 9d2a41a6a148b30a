/* buffers: system calls given buffers in read-only, unmapped and freshly unmapped pages. */
#include <fcntl.h>
#include <mman.h>
#include <stdio.h>
#include <syscall.h>

int main(void) {
    int fd = (int)open("motd.txt", O_RDONLY);
    char *ro = mmap((void *)0x10000000, 4096, PROT_READ, -1, 0);
    char *gone = mmap((void *)0x20000000, 4096, PROT_READ | PROT_WRITE, -1, 0);
    gone[0] = 'x';
    munmap(gone);
    printf("read into read-only: %ld\n", read(fd, ro, 4));
    printf("write from read-only: %ld\n", write(1, ro, 0));
    printf("read into unmapped: %ld\n", read(fd, (void *)0x30000000, 4));
    printf("read into freshly unmapped: %ld\n", read(fd, gone, 4));
    printf("write from freshly unmapped: %ld\n", write(1, gone, 1));
    printf("pipe into freshly unmapped: %d\n", pipe((int *)gone));
    printf("open path in freshly unmapped: %ld\n", open(gone, O_RDONLY));
    printf("position still: %ld\n", tell(fd));
    return 0;
}
