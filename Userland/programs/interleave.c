/* interleave N: writes N lines, alternately to standard error and standard output, one
 * write each ("err 0", "out 1", "err 2", …), for testing that where the two streams are
 * one file their bytes arrive in the order they were written. */
#include <stdio.h>
#include <stdlib.h>
#include <syscall.h>

int main(int argc, char **argv) {
    int lines = argc > 1 ? atoi(argv[1]) : 4;
    for (int i = 0; i < lines; i++) {
        char line[32];
        int fd = i % 2 == 0 ? 2 : 1;
        int length = snprintf(line, sizeof line, "%s %d\n", fd == 2 ? "err" : "out", i);
        if (write(fd, line, length) != length) return 1;
    }
    return 0;
}
