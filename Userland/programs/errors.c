/* errors: every error code a file system call returns (ABI.md §1, §2). */
#include <fcntl.h>
#include <stdio.h>
#include <syscall.h>

int main(void) {
    char buffer[8];
    printf("open missing: %ld\n", open("missing.txt", O_RDONLY));
    printf("open mode 3: %ld\n", open("hello.txt", 3));
    printf("open mode -1: %ld\n", open("hello.txt", -1));
    printf("open non-UTF-8: %ld\n", open("\xff\xfe", O_RDONLY));
    printf("read fd 99: %ld\n", read(99, buffer, 1));
    printf("read fd -1: %ld\n", read(-1, buffer, 1));
    printf("write fd 1000: %ld\n", write(1000, buffer, 1));
    printf("close fd 77: %d\n", close(77));
    printf("seek fd 50: %ld\n", seek(50, 0, 0));
    printf("tell fd 50: %ld\n", tell(50));
    printf("fd in the low 32 bits: %ld\n", syscall6(SYS_READ, 0x100000001L, (long)buffer, 1, 0, 0, 0));
    printf("syscall 99: %ld\n", syscall6(99, 0, 0, 0, 0, 0, 0));
    printf("syscall 0x80: %ld\n", syscall6(0x80, 0, 0, 0, 0, 0, 0));
    printf("getphys unmapped: %ld\n", getphys((void *)0x10000000, 0));
    int opened = 0;
    long last = 0;
    for (;;) {
        last = open("hello.txt", O_RDONLY);
        if (last < 0) break;
        opened++;
    }
    printf("opened %d files, then: %ld\n", opened, last);
    printf("close 500: %d, open again: %ld\n", close(500), open("hello.txt", O_RDONLY));
    return 0;
}
