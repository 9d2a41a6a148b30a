/* zeroread: a read of 0 bytes from an empty pipe whose write end is open returns 0 at once,
 * as on Linux: there is nothing to wait for. So does a write of 0 bytes to a full pipe. */
#include <stdio.h>
#include <syscall.h>

static char fill[4096];

int main(void) {
    int fds[2];
    char byte = 'x';
    if (pipe(fds) < 0) { printf("pipe failed\n"); return 1; }
    printf("read 0 of an empty pipe: %ld\n", (long)read(fds[0], &byte, 0));
    printf("fill: %ld\n", (long)write(fds[1], fill, sizeof fill));
    printf("write 0 to a full pipe: %ld\n", (long)write(fds[1], fill, 0));
    printf("read 0 of a full pipe: %ld, then read 1: %ld\n", (long)read(fds[0], &byte, 0), (long)read(fds[0], &byte, 1));
    close(fds[1]);
    printf("read 0 with no write end: %ld\n", (long)read(fds[0], &byte, 0));
    return 0;
}
