/* files: the regular-file rules of ABI.md §2 on hello.txt ("Hello, file!\n", 13 bytes). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

static char buffer[64];

static void show_read(const char *label, int fd, size_t count) {
    memset(buffer, 0, sizeof buffer);
    ssize_t got = read(fd, buffer, count);
    printf("%s: %ld \"%s\"\n", label, got, got > 0 ? buffer : "");
}

int main(void) {
    int fd = (int)open("hello.txt", O_RDONLY);
    printf("open: %d\n", fd);
    show_read("read 5", fd, 5);
    printf("tell: %ld\n", tell(fd));
    show_read("read rest", fd, 100);
    show_read("read at end", fd, 100);
    printf("seek past end: %ld\n", seek(fd, 100, SEEK_SET));
    show_read("read past end", fd, 10);
    printf("tell: %ld\n", tell(fd));
    printf("seek negative: %ld\n", seek(fd, -1, SEEK_SET));
    printf("seek end-3: %ld\n", seek(fd, -3, SEEK_END));
    printf("seek cur+1: %ld\n", seek(fd, 1, SEEK_CUR));
    printf("seek whence 3: %ld\n", seek(fd, 0, 3));
    printf("write to read-only fd: %ld\n", write(fd, "x", 1));

    int writer = (int)open("/hello.txt", O_RDWR);
    printf("second open: %d\n", writer);
    printf("write J: %ld\n", write(writer, "J", 1));
    seek(fd, 0, SEEK_SET);
    show_read("seen through first fd", fd, 5);
    printf("seek 11: %ld\n", seek(writer, 11, SEEK_SET));
    printf("write past end: %ld\n", write(writer, "XYZ", 3));
    printf("tell after: %ld\n", tell(writer));
    printf("close: %d %d\n", close(fd), close(writer));

    int again = (int)open("hello.txt", O_RDONLY);
    printf("reopen takes lowest fd: %d\n", again);
    show_read("after reopen", again, 100);
    int writeonly = (int)open("hello.txt", O_WRONLY);
    printf("read from write-only fd: %ld\n", read(writeonly, buffer, 1));
    printf("seek end of write-only: %ld\n", seek(writeonly, 0, SEEK_END));
    return 0;
}
