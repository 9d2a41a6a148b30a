/* regionchurn: processes take turns mapping every region the run's budget allows (one page
 * each) and unmapping them all again, and stay alive. At any moment the budget holds at most
 * one process's regions, so the kernel's memory for regions must follow what is mapped now,
 * not the most a process ever had: a kernel that kept each process's room for the 131,072
 * regions it had mapped would fill its heap with a few of them. */
#include <mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <syscall.h>

static long churn(void) {
    long mappings = 0, result;
    for (;;) {
        result = (long)mmap((void *)(0x100000000 + mappings * 0x2000), 4096, PROT_READ, -1, 0);
        if (result < 0) break;
        mappings++;
    }
    for (long i = 0; i < mappings; i++) {
        if (munmap((void *)(0x100000000 + i * 0x2000)) != 0) return -1;
    }
    return result == -12 ? mappings : -1;
}

int main(int argc, char **argv) {
    int processes = argc > 1 ? atoi(argv[1]) : 8;
    int token[2], report[2], hold[2];
    pipe(token);
    pipe(report);
    pipe(hold);
    for (int i = 1; i < processes; i++) {
        if (fork() == 0) {
            char byte;
            read(token[0], &byte, 1);
            long mapped = churn();
            write(report[1], &mapped, sizeof mapped);
            read(hold[0], &byte, 1); /* holds on till the run ends */
            return 0;
        }
    }
    long first = churn(), same = first > 0;
    for (int i = 1; i < processes; i++) {
        long mapped;
        write(token[1], "x", 1);
        read(report[0], &mapped, sizeof mapped);
        same &= mapped == first;
    }
    long again = churn();
    printf("%d processes each mapped and unmapped the whole budget in turn: %s; again: %s\n",
           processes, same ? "yes" : "no", again == first ? "yes" : "no");
    return 0;
}
