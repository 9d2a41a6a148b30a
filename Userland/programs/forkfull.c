/* forkfull [MiB]: a parent that holds most of the machine's memory forks until the frames
 * for its children's page tables run out. That fork must fail with NoMemory and leave
 * nothing of the child; once the children are gone, forking works again, and the parent's
 * memory is intact. */
#include <mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <syscall.h>

#define BASE ((unsigned char *)0x100000000)

int main(int argc, char **argv) {
    long size = (argc > 1 ? atoi(argv[1]) : 420) * (1L << 20);
    if (mmap(BASE, size, PROT_READ | PROT_WRITE, -1, 0) != BASE) { printf("mmap failed\n"); return 1; }
    for (long i = 0; i < size; i += 4096) BASE[i] = (unsigned char)(i >> 12);
    int hold[2], done[2];
    pipe(hold);
    pipe(done);
    long children = 0, result;
    while ((result = fork()) > 0) children++;
    if (result == 0) {
        char byte;
        close(hold[1]);
        close(done[0]);
        read(hold[0], &byte, 1); /* until the parent lets go */
        return 0;
    }
    close(hold[1]);
    close(done[1]);
    char byte;
    long ended = read(done[0], &byte, 1);
    long again = fork();
    if (again == 0) return 0;
    long wrong = 0;
    for (long i = 0; i < size; i += 4096) wrong += BASE[i] != (unsigned char)(i >> 12);
    printf("forked %s children, then %ld; after they ended (read %ld) fork: %s; %ld pages wrong\n",
           children > 0 && children < 63 ? "some" : "an unexpected number of", result, ended, again > 0 ? "works" : "fails", wrong);
    return 0;
}
