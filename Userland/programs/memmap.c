/* memmap: a process with every kind of page, for `apus run --memory-map memmap`.
 *
 * It maps four anonymous pages at 0x10000000 and touches two, maps hello.txt read-only at
 * 0x20000000 and reads it, then forks: right after the fork every resident page is shared
 * copy-on-write by parent and child. The child writes one anonymous page (which gives it a
 * copy of its own) and ends; the parent waits for that through a pipe and ends last, when
 * nothing is shared any more. */
#include <fcntl.h>
#include <mman.h>
#include <stdio.h>
#include <syscall.h>

#define ANONYMOUS ((char *)0x10000000)
#define FILE_MAP ((char *)0x20000000)
#define PAGE 4096

int main(void) {
    if (mmap(ANONYMOUS, 4 * PAGE, PROT_READ | PROT_WRITE, -1, 0) != ANONYMOUS) return 1;
    ANONYMOUS[0] = 'a';
    ANONYMOUS[PAGE] = 'b';
    ssize_t fd = open("hello.txt", O_RDONLY);
    if (fd < 0 || mmap(FILE_MAP, PAGE, PROT_READ, (int)fd, 0) != FILE_MAP) return 2;
    char first = FILE_MAP[0];
    int fds[2];
    if (pipe(fds) < 0) return 3;
    int child = fork();
    if (child < 0) return 4;
    if (child == 0) {
        ANONYMOUS[0] = 'c';
        return 0;
    }
    close(fds[1]);
    char byte;
    read(fds[0], &byte, 1); /* BrokenPipe once the child has ended */
    printf("%c%c%c\n", ANONYMOUS[0], ANONYMOUS[PAGE], first);
    return 0;
}
