/* bigwrite [MiB]: one write() of 64 MiB (or the given size) into a pipe that a child drains. The pipe takes 4 KiB at
 * a time, so the writer waits thousands of times; each time it goes on, only what the pipe
 * can take may cost it anything, not the whole rest of the buffer again (that made one
 * large write quadratic: minutes for 64 MiB). The child checks every byte and reports. */
#include <stdio.h>
#include <mman.h>
#include <stdlib.h>
#include <syscall.h>

#define BUFFER ((void *)0x10000000)

int main(int argc, char **argv) {
    long TOTAL = (argc > 1 ? atoi(argv[1]) : 64) * (1L << 20);
    unsigned char *buffer = mmap(BUFFER, TOTAL, PROT_READ | PROT_WRITE, -1, 0);
    if (buffer != BUFFER) { printf("mmap failed\n"); return 1; }
    for (long i = 0; i < TOTAL; i++) buffer[i] = (unsigned char)(i * 7);
    int data[2], report[2];
    if (pipe(data) < 0 || pipe(report) < 0) { printf("pipe failed\n"); return 1; }
    int child = fork();
    if (child == 0) {
        close(data[1]);
        static unsigned char in[65536];
        long total = 0, wrong = 0;
        while (1) {
            long got = read(data[0], in, sizeof in);
            if (got < 0) break;
            for (long i = 0; i < got; i++) if (in[i] != (unsigned char)((total + i) * 7)) wrong++;
            total += got;
        }
        long result[2] = { total, wrong };
        write(report[1], result, sizeof result);
        return 0;
    }
    close(data[0]);
    long put = write(data[1], buffer, TOTAL);
    close(data[1]);
    long result[2];
    long got = read(report[0], result, sizeof result);
    printf("one write of %ld bytes returned %ld; the child read %ld bytes, %ld wrong (report %ld)\n",
           TOTAL, put, result[0], result[1], got);
    return 0;
}
