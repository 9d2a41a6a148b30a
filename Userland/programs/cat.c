/* cat: copies standard input (or the files named) to standard output. */
#include <fcntl.h>
#include <stdio.h>
#include <syscall.h>

static int copy(int fd) {
    char buffer[512];
    for (;;) {
        ssize_t count = read(fd, buffer, sizeof buffer);
        if (count == 0) return 0;
        if (count < 0) return (int)count;
        write(1, buffer, (size_t)count);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) return copy(0) < 0 ? 1 : 0;
    for (int i = 1; i < argc; i++) {
        ssize_t fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            eprintf("cat: %s: error %ld\n", argv[i], -fd);
            return 1;
        }
        copy((int)fd);
        close((int)fd);
    }
    return 0;
}
