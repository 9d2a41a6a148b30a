/* hoardall: eight processes hoard at once, each taking every region and pipe it can. The
 * run's budget bounds them together, so each ends up refused with an error code (NoMemory
 * for regions, TooManyOpenFile for pipes) and the kernel heap never runs dry. The children
 * report through a pipe; the parent prints what each got. */
#include <mman.h>
#include <stdio.h>
#include <syscall.h>

#define CHILDREN 7

static long hoard(long *pipe_error, long *pipes) {
    int fds[2];
    long result;
    *pipes = 0;
    while ((result = pipe(fds)) == 0) (*pipes)++;
    *pipe_error = result;
    long mappings = 0;
    for (;;) {
        result = (long)mmap((void *)(0x100000000 + mappings * 0x2000), 4096, PROT_READ, -1, 0);
        if (result < 0) break;
        mappings++;
    }
    return result;
}

int main(void) {
    int report[2], hold[2];
    pipe(report);
    pipe(hold);
    for (int i = 0; i < CHILDREN; i++) {
        if (fork() == 0) {
            long pipe_error, pipes, map_error = hoard(&pipe_error, &pipes);
            long results[2] = { pipe_error, map_error };
            write(report[1], results, sizeof results);
            char byte;
            read(hold[0], &byte, 1); /* waits, holding everything, till the run ends */
            return 0;
        }
    }
    long pipe_error, pipes, map_error = hoard(&pipe_error, &pipes);
    int refused_correctly = pipe_error == -24 && map_error == -12;
    for (int i = 0; i < CHILDREN; i++) {
        long results[2];
        read(report[0], results, sizeof results);
        refused_correctly &= results[0] == -24 && results[1] == -12;
    }
    printf("8 hoarding processes were all refused with TooManyOpenFile and NoMemory: %s\n", refused_correctly ? "yes" : "no");
    return 0;
}
