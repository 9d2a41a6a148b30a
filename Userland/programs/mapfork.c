/* mapfork FORKS REGIONS: maps REGIONS one-page regions (a page apart, so none merge), then
 * forks FORKS children that end at once, and says so: a process with a large memory map that
 * forks often, for testing that `apus run --memory-map` reports it at speed. */
#include <mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <syscall.h>

int main(int argc, char **argv) {
    int forks = argc > 1 ? atoi(argv[1]) : 100;
    int regions = argc > 2 ? atoi(argv[2]) : 5000;
    char *base = (char *)0x100000000;
    for (int i = 0; i < regions; i++) {
        if (mmap(base + (long)i * 0x2000, 0x1000, PROT_READ | PROT_WRITE, -1, 0) != base + (long)i * 0x2000) {
            printf("mmap %d failed\n", i);
            return 1;
        }
    }
    for (int i = 0; i < forks; i++) {
        int child = fork();
        if (child == 0) exit(0);
        if (child < 0) {
            printf("fork %d failed: %d\n", i, child);
            return 1;
        }
    }
    printf("%d regions, %d forks\n", regions, forks);
    return 0;
}
