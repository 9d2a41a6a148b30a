/* heaphog: every per-run budget at its worst at once, then a process gives a little back.
 *
 * The kernel keeps what programs make it keep (descriptors, pipes, threads, regions) on a
 * heap of fixed size; each budget is bounded, and together they must fit. This program
 * takes them all at once: 64 processes, each with a full table of 1,024 descriptors (fork
 * copies them); the run's 1,024 pipes; 128 threads; and the run's 131,072 regions, spread
 * so that each process mapped about twice what it keeps. Then the first process unmaps a few
 * dozen regions more. Nothing may stop the kernel, and
 * the run gives back every frame and kernel stack when it ends. With the eager pager frames
 * run out before the regions do; the program takes what it gets.
 *
 * The children take their turns one at a time (a token passed through a pipe), so the
 * regions they map come out of what the processes before them left. */
#include <fcntl.h>
#include <mman.h>
#include <stdio.h>
#include <syscall.h>
#include <thread.h>

#define PROCESSES 64
#define MORE_THREADS 64
#define REGIONS_AT 0x100000000UL
#define PROCESS_SPAN 0x100000000UL /* each process maps in its own 4 GiB */
#define CLOSED_BY_A_CHILD 20
#define UNMAPPED_AT_THE_END 40

static char stacks[MORE_THREADS][STACK_SIZE] __attribute__((aligned(16)));
static int hold[2], token[2], report[2];

/* A thread or process that waits, holding what it has, till the run ends. */
static int holds(void *unused) {
    (void)unused;
    char byte;
    read(hold[0], &byte, 1);
    exit(0);
}

/* Opens hello.txt until the table is full; the last error (TooManyOpenFile when full). */
static long fill_table(void) {
    long result;
    while ((result = open("hello.txt", O_RDONLY)) >= 0) {}
    return result;
}

/* Maps one-page regions (every other page of this process's span) until the kernel says no,
 * then unmaps the last ones until it keeps just over half of the smallest power of two at
 * least the number it mapped: the shape in which a region store that grows by doubling holds
 * twice its count, so that one unmap more would have it shrink, copying itself. Returns how
 * many it kept; `*error` is the refusal. */
static long map_then_keep_half(int process, long *error) {
    unsigned long base = REGIONS_AT + (unsigned long)process * PROCESS_SPAN;
    long mapped = 0, result;
    while ((result = (long)mmap((void *)(base + mapped * 0x2000), 4096, PROT_READ, -1, 0)) > 0) mapped++;
    *error = result;
    long power = 1;
    while (power < mapped) power *= 2;
    long keep = (power - 64) / 2;
    if (keep < mapped / 2) keep = mapped / 2;
    for (long i = mapped - 1; i >= keep; i--) {
        if (munmap((void *)(base + i * 0x2000)) != 0) return -1;
    }
    return keep;
}

struct child_report {
    long pipes_made, pipe_error, table_error, kept, map_error;
};

static void child_turn(int process) {
    char byte;
    read(token[0], &byte, 1);
    struct child_report r = { 0 };
    /* Descriptors 9 and up are pipe ends the parent made; closing some makes room for pipes
     * of its own, until the run has no pipe left. */
    for (int fd = 9; fd < 9 + CLOSED_BY_A_CHILD; fd++) close(fd);
    int fds[2];
    while ((r.pipe_error = pipe(fds)) == 0) r.pipes_made++;
    r.table_error = fill_table();
    r.kept = map_then_keep_half(process, &r.map_error);
    write(report[1], &r, sizeof r);
    write(token[1], "t", 1); /* the next child's turn */
    holds(0);
}

int main(void) {
    if (pipe(hold) || pipe(token) || pipe(report)) return 1;
    int fds[2];
    long parent_pipes = 3;
    long result;
    while ((result = pipe(fds)) == 0) parent_pipes++;
    long parent_table = fill_table();
    printf("the first process: %ld pipes, then %ld; table full: %s\n", parent_pipes, result, parent_table == -TooManyOpenFile ? "yes" : "no");

    int children = 0;
    for (int process = 1; process < PROCESSES; process++) {
        int id = fork();
        if (id == 0) child_turn(process);
        if (id < 0) { printf("fork %d: %d\n", process, id); break; }
        children++;
    }
    int threads = 0;
    while (threads < MORE_THREADS && thread_create("holder", stacks[threads] + STACK_SIZE, holds, 0) > 0) threads++;
    long one_more = thread_create("one more", stacks[0] + STACK_SIZE, holds, 0);
    printf("%d children, each with a copy of the full table; %d threads more, then %ld\n", children, threads, one_more);

    long map_error;
    long kept = map_then_keep_half(0, &map_error);
    write(token[1], "t", 1);
    long pipes = parent_pipes, tables_full = 1, regions = kept, refused = map_error == -NoMemory;
    for (int i = 0; i < children; i++) {
        struct child_report r;
        if (read(report[0], &r, sizeof r) != sizeof r) { printf("a report went missing\n"); return 1; }
        pipes += r.pipes_made;
        tables_full &= r.table_error == -TooManyOpenFile;
        refused &= r.map_error == -NoMemory;
        if (r.kept < 0) { printf("a child's munmap failed\n"); return 1; }
        regions += r.kept;
    }
    printf("pipes made in the run: %ld (the budget is 1024)\n", pipes);
    printf("every table full: %s; every process refused its last mmap with NoMemory: %s\n", tables_full ? "yes" : "no", refused ? "yes" : "no");

    /* The first process unmaps a few dozen of the regions it kept. */
    int unmapped = 0;
    for (long i = 0; i < UNMAPPED_AT_THE_END; i++) {
        if (munmap((void *)(REGIONS_AT + i * 0x2000)) == 0) unmapped++;
    }
    printf("the first process unmapped %d of its regions more\n", unmapped);
    eprintf("regions kept: %ld\n", regions);
    exit_group(0);
}
