/* pipes: ABI.md §2's pipe rules. */
#include <stdio.h>
#include <string.h>
#include <syscall.h>

int main(void) {
    char buffer[32];
    int fds[2] = { -1, -1 };
    printf("pipe: %d fds %d %d\n", pipe(fds), fds[0], fds[1]);
    printf("write: %ld\n", write(fds[1], "hello pipe", 10));
    memset(buffer, 0, sizeof buffer);
    printf("read 4: %ld \"%s\"\n", read(fds[0], buffer, 4), buffer);
    memset(buffer, 0, sizeof buffer);
    printf("read rest: %ld \"%s\"\n", read(fds[0], buffer, sizeof buffer), buffer);
    printf("write: %ld\n", write(fds[1], "abc", 3));
    printf("close write end: %d\n", close(fds[1]));
    memset(buffer, 0, sizeof buffer);
    printf("read after close: %ld \"%s\"\n", read(fds[0], buffer, sizeof buffer), buffer);
    printf("read empty, no writers: %ld\n", read(fds[0], buffer, sizeof buffer));
    printf("read 0 bytes, no writers: %ld\n", read(fds[0], buffer, 0));

    int second[2];
    printf("pipe: %d fds %d %d\n", pipe(second), second[0], second[1]);
    printf("read from write end: %ld\n", read(second[1], buffer, 1));
    printf("write to read end: %ld\n", write(second[0], "x", 1));
    printf("seek: %ld tell: %ld\n", seek(second[0], 0, 0), tell(second[1]));
    printf("close read end: %d\n", close(second[0]));
    printf("write, no readers: %ld\n", write(second[1], "x", 1));

    printf("pipe(NULL): %d\n", pipe(0));
    printf("next fd is still %ld\n", open("hello.txt", 0));
    return 0;
}
