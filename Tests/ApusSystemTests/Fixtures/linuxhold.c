// linuxhold MiB: takes every frame the kernel gives (reads /dev/zero into a mapping far
// larger than the machine, a MiB at a time, until a read fails with ENOMEM), gives MiB of
// them back, says how much it holds, and holds it until its standard input ends; then exits
// with 0. Whatever runs beside it (a fork bomb) then finds frames and processes running out
// at the same time. Built by the system tests with this host's `cc -static`; never run on
// the host, whose memory it would take.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1L << 20)
#define MOST (64L << 30)

int main(int argc, char **argv) {
    long spare = (argc > 1 ? atol(argv[1]) : 0) * MIB;
    char *memory = mmap(0, MOST, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    int zero = open("/dev/zero", O_RDONLY);
    if (memory == MAP_FAILED || zero < 0) { printf("cannot start\n"); return 1; }
    long held = 0;
    while (held < MOST && read(zero, memory + held, MIB) == MIB) held += MIB;
    if (errno != ENOMEM) { printf("stopped at %ld MiB without ENOMEM\n", held / MIB); return 1; }
    long kept = held > spare ? held - spare : 0;
    munmap(memory + kept, MOST - kept);
    printf("holding all but %ld MiB\n", spare / MIB);
    fflush(stdout);
    char byte;
    while (read(0, &byte, 1) > 0) {}
    return 0;
}
