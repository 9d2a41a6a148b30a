/* flood FD KIB: writes KIB KiB of a known pattern to file descriptor FD (1 or 2), in 64 KiB
 * writes, for testing that every byte arrives. Byte i of the stream is
 * (i ^ (i >> 8) ^ (i >> 16)) & 0xFF. */
#include <stdio.h>
#include <stdlib.h>
#include <syscall.h>

static unsigned char buffer[65536];

int main(int argc, char **argv) {
    if (argc != 3) {
        eprintf("usage: flood FD KIB\n");
        return 2;
    }
    int fd = atoi(argv[1]);
    unsigned long total = (unsigned long)atoi(argv[2]) * 1024;
    unsigned long offset = 0;
    while (offset < total) {
        unsigned long count = total - offset < sizeof buffer ? total - offset : sizeof buffer;
        for (unsigned long i = 0; i < count; i++) {
            unsigned long at = offset + i;
            buffer[i] = (unsigned char)(at ^ (at >> 8) ^ (at >> 16));
        }
        unsigned long done = 0;
        while (done < count) {
            ssize_t written = write(fd, buffer + done, count - done);
            if (written <= 0) return 1;
            done += (unsigned long)written;
        }
        offset += count;
    }
    return 0;
}
