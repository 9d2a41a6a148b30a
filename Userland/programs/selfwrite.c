/* selfwrite: overwrites the start of its own file in the root file system, so that the
 * next run of it in the same boot cannot start (for testing `apus run --repeat`). */
#include <fcntl.h>
#include <stdio.h>
#include <syscall.h>

int main(int argc, char **argv) {
    ssize_t fd = open(argv[0], O_WRONLY);
    if (fd < 0) return 1;
    write((int)fd, "not an ELF file any more", 24);
    printf("overwrote %s\n", argv[0]);
    return 0;
}
