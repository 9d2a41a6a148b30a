/* hoardall: eight processes hoard at once, each taking every thread, region and pipe it
 * can. The run's limits bound them together, so each ends up refused with an error code
 * (NoMemory for threads and regions, TooManyOpenFile for pipes) and the kernel heap never
 * runs dry. The children report through a pipe; the parent prints what they got. */
#include <mman.h>
#include <stdio.h>
#include <syscall.h>
#include <thread.h>

#define CHILDREN 7
#define MOST_THREADS 128

static char stacks[MOST_THREADS][STACK_SIZE] __attribute__((aligned(16)));
static int hold[2];

/* A hoarded thread: it waits, holding its kernel stack, till the run ends. */
static int holder(void *unused) {
    (void)unused;
    char byte;
    read(hold[0], &byte, 1);
    exit(0);
}

static long hoard(long *pipe_error, long *pipes, long *thread_error, long *threads) {
    int fds[2];
    long result;
    *threads = 0;
    while (*threads < MOST_THREADS && (result = thread_create("hoard", stacks[*threads] + STACK_SIZE, holder, 0)) > 0) (*threads)++;
    *thread_error = result;
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
    int report[2], go[2];
    pipe(report);
    pipe(hold);
    pipe(go);
    for (int i = 0; i < CHILDREN; i++) {
        if (fork() == 0) {
            /* Every child waits until all exist: a child hoarding threads early would leave
             * no thread for the next fork (NoMemory), and its report would never come. */
            char start;
            read(go[0], &start, 1);
            long pipe_error, pipes, thread_error, threads, map_error = hoard(&pipe_error, &pipes, &thread_error, &threads);
            long results[4] = { pipe_error, map_error, thread_error, threads };
            write(report[1], results, sizeof results);
            char byte;
            read(hold[0], &byte, 1); /* waits, holding everything, till the run ends */
            return 0;
        }
    }
    char starts[CHILDREN] = { 0 };
    write(go[1], starts, sizeof starts); /* one byte for each child: go */
    long pipe_error, pipes, thread_error, threads, map_error = hoard(&pipe_error, &pipes, &thread_error, &threads);
    int refused_correctly = pipe_error == -24 && map_error == -12 && thread_error == -12;
    long all_threads = threads;
    for (int i = 0; i < CHILDREN; i++) {
        long results[4];
        read(report[0], results, sizeof results);
        refused_correctly &= results[0] == -24 && results[1] == -12 && results[2] == -12;
        all_threads += results[3];
    }
    printf("8 hoarding processes were all refused with TooManyOpenFile and NoMemory: %s\n", refused_correctly ? "yes" : "no");
    printf("they started %ld threads between them (128 in all with their own)\n", all_threads);
    exit_group(0); /* its threads wait for ever: returning would end the main thread only */
}
