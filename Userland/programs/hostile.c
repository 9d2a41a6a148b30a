/* hostile MODE: attacks on threads, standard input and the end of a run (ABI.md §5). Each
 * mode prints what it saw; the system tests compare output and status where they cannot
 * depend on timing.
 *   edges      thread_create with stacks, entries and names at every edge: each result
 *   joinunmap  a thread unmaps the page of the main thread's join status while it waits
 *   selfunmap  a thread unmaps its own stack and calls a function: the process ends (-1)
 *   faultwait  threads wait in a pipe read, console input and a join when another faults
 *   forkstorm  threads fork while others start threads, and exit_group ends it all
 *   limits     threads fork and start threads until the kernel refuses, then exit_group
 *   runend     the first process ends while a child's threads wait in every way
 *   lastpage   a thread whose stack is the top of the user half, then a fork
 *   ssethreads four threads keep their own xmm registers and MXCSR across switches
 *   stdinrace  four threads read standard input at once: every byte is read once
 *   stdinfork  three children and a thread of the parent read standard input at once
 *   bigwrite   a write of 512 MiB never touched fails (NoMemory) and must give back the
 *              frames it filled: a thread_create on an untouched page works after it
 *   waitunmap  the buffers of threads waiting in a pipe write and a pipe read are unmapped
 *              while they wait: the write returns what it wrote, the read BadAddress and
 *              the byte stays in the pipe (not a test: it needs the threads to be waiting)
 *   deadmix    two processes whose main threads join threads reading a pipe: a deadlock
 *   crossjoin  a join of a thread of another process (the forked child's id) */
#include <mman.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include <thread.h>

static char stacks[16][STACK_SIZE] __attribute__((aligned(16)));
static int stacks_used;
static char *new_stack(void) {
    if (stacks_used == 16) { printf("out of stacks\n"); exit(1); }
    return stacks[stacks_used++] + STACK_SIZE;
}
static void spin(long rounds) { for (volatile long i = 0; i < rounds; i++) {} }

static int quit(void *argument) { exit((int)(long)argument); }

/* edges */
static int try_create(const char *what, const char *name, void *stack, int (*fn)(void *)) {
    int tid = thread_create(name, stack, fn, (void *)5);
    if (tid > 0) {
        int status = -99;
        int joined = thread_join(tid, &status);
        printf("%s: started, join %d status %d\n", what, joined, status);
    } else {
        printf("%s: %d\n", what, tid);
    }
    return tid;
}

static int edges_mode(void) {
    char *a = mmap((void *)0x500000000, 4096, PROT_READ | PROT_WRITE, -1, 0);
    char *b = mmap((void *)0x500001000, 4096, PROT_READ | PROT_WRITE, -1, 0);
    char *ro = mmap((void *)0x500003000, 4096, PROT_READ, -1, 0);
    char *nm = mmap((void *)0x500005000, 4096, PROT_READ | PROT_WRITE, -1, 0);
    if (!a || !b || !ro || !nm) { printf("mmap failed\n"); return 1; }
    memset(nm, 'x', 4096); /* a name with no NUL before the end of its mapping */
    try_create("stack 0", "t", (void *)0, quit);
    try_create("stack 8", "t", (void *)8, quit);
    try_create("stack -1", "t", (void *)-1L, quit);
    try_create("stack at the user end", "t", (void *)0x800000000000UL, quit);
    try_create("stack non-canonical", "t", (void *)0x800000000008UL, quit);
    try_create("stack in the kernel", "t", (void *)0xffff800000001000UL, quit);
    try_create("stack at the start of a mapping", "t", a, quit);
    try_create("stack straddling two mappings", "t", b + 4, quit);
    try_create("stack at the end of two mappings", "t", b + 4096, quit);
    try_create("stack just past the hole", "t", b + 4096 + 4, quit);
    try_create("stack in read-only memory", "t", ro + 4096, quit);
    try_create("stack above read-only memory", "t", ro + 4096 + 8, quit);
    try_create("entry at the user end", "t", b + 4096, (int (*)(void *))0x800000000000UL);
    try_create("entry -1", "t", b + 4096, (int (*)(void *))-1L);
    try_create("name NULL", 0, b + 4096, quit);
    try_create("name unterminated", nm, b + 4096, quit);
    try_create("name in the kernel", (char *)0xffff800000000000UL, b + 4096, quit);
    try_create("name at 2^63", (char *)0x8000000000000000UL, b + 4096, quit);
    return 0;
}

/* joinunmap */
#define STATUS_PAGE 0x600000000ul
static volatile int go;
static int waits_then_ends(void *argument) {
    while (!go) {}
    spin(2000000);
    exit(42);
}
static int unmapped;
static int unmaps_status(void *argument) {
    spin(3000000);
    unmapped = munmap((void *)STATUS_PAGE);
    go = 1;
    exit(0);
}
static int joinunmap_mode(void) {
    int *status = mmap((void *)STATUS_PAGE, 4096, PROT_READ | PROT_WRITE, -1, 0);
    *status = -7;
    int target = thread_create("target", new_stack(), waits_then_ends, 0);
    int unmapper = thread_create("unmapper", new_stack(), unmaps_status, 0);
    printf("join with the status page mapped: %d\n", thread_join(target, status));
    int again = -1;
    printf("join again: %d, status %d\n", thread_join(target, &again), again);
    printf("join of the unmapper: %d\n", thread_join(unmapper, 0));
    printf("its munmap of the status page: %d\n", unmapped);
    return 0;
}

/* selfunmap */
#define SELF_STACK 0x700000000ul
static int unmaps_itself(void *argument) {
    /* munmap of the stack it runs on, then a call: the push of its return address faults */
    __asm__ volatile("mov $9, %%eax\n\tsyscall\n\tcall 1f\n1:\n\tud2" : : "D"(SELF_STACK) : "rax", "rcx", "r11", "memory");
    return 0;
}
static int selfunmap_mode(void) {
    char *stack = mmap((void *)SELF_STACK, STACK_SIZE, PROT_READ | PROT_WRITE, -1, 0);
    int tid = thread_create("self", stack + STACK_SIZE, unmaps_itself, 0);
    int status = 0;
    int r = thread_join(tid, &status);
    printf("joined: %d, status %d\n", r, status);
    return 0;
}

/* faultwait */
static int fds[2];
static int reads_pipe(void *argument) {
    char c;
    read(fds[0], &c, 1);
    printf("pipe read returned\n");
    exit(1);
}
static int reads_console(void *argument) {
    char c;
    read(0, &c, 1);
    printf("console read returned\n");
    exit(1);
}
static int joins(void *argument) {
    thread_join((int)(long)argument, 0);
    printf("join returned\n");
    exit(1);
}
static int faults(void *argument) {
    spin(3000000);
    *(volatile int *)8 = 1;
    exit(1);
}
static int faultwait_mode(void) {
    pipe(fds);
    int reader = thread_create("pipe", new_stack(), reads_pipe, 0);
    thread_create("console", new_stack(), reads_console, 0);
    thread_create("joiner", new_stack(), joins, (void *)(long)reader);
    thread_create("faulter", new_stack(), faults, 0);
    char c;
    read(fds[0], &c, 1); /* the main thread waits too */
    printf("main read returned\n");
    return 1;
}

/* forkstorm */
static int forker(void *argument) {
    for (int i = 0; i < 20; i++) {
        int child = fork();
        if (child == 0) {
            spin(100000);
            exit(3);
        }
    }
    exit(0);
}
static char storm_stacks[8][4096] __attribute__((aligned(16)));
static int starter(void *argument) {
    long index = (long)argument;
    for (int i = 0; i < 20; i++) {
        int tid = thread_create("s", storm_stacks[index] + 4096, quit, 0);
        if (tid > 0) thread_join(tid, 0);
    }
    exit(0);
}
static int forkstorm_mode(void) {
    for (long i = 0; i < 4; i++) thread_create("forker", new_stack(), forker, 0);
    for (long i = 0; i < 8; i++) thread_create("starter", new_stack(), starter, (void *)i);
    spin(5000000);
    printf("exit_group\n");
    exit_group(9);
}

/* stdinrace */
static int reads_line(void *argument) {
    char buffer[3];
    long total = 0, r;
    while ((r = read(0, buffer, sizeof buffer)) > 0) total += r;
    __atomic_fetch_add((long *)argument, total, __ATOMIC_SEQ_CST);
    exit((int)r);
}
static long total_read;
static int stdinrace_mode(void) {
    int t[4];
    for (int i = 0; i < 4; i++) t[i] = thread_create("reader", new_stack(), reads_line, &total_read);
    for (int i = 0; i < 4; i++) {
        int status = -9;
        thread_join(t[i], &status);
        if (status != 0) printf("reader %d: %d\n", i, status);
    }
    printf("read %ld bytes in all\n", total_read);
    return 0;
}

/* limits: every thread forks until refused, the children start threads until refused and
 * wait on a pipe no one writes; then the main thread ends the run */
static char limit_stacks[200][1024] __attribute__((aligned(16)));
static int limit_next;
static int lfds[2];
static int waits_forever(void *argument) {
    char c;
    read(lfds[0], &c, 1);
    exit(1);
}
static int forks_to_the_limit(void *argument) {
    for (;;) {
        int child = fork();
        if (child < 0) break;
        if (child == 0) {
            for (;;) {
                int i = __atomic_fetch_add(&limit_next, 1, __ATOMIC_SEQ_CST);
                if (i >= 200) break;
                if (thread_create("w", limit_stacks[i] + 1024, waits_forever, 0) < 0) break;
            }
            char c;
            read(lfds[0], &c, 1);
            exit(2);
        }
    }
    char c;
    read(lfds[0], &c, 1);
    exit(3);
}
static int limits_mode(void) {
    pipe(lfds);
    int started = 0;
    for (int i = 0; i < 100; i++) {
        int k = __atomic_fetch_add(&limit_next, 1, __ATOMIC_SEQ_CST);
        if (k >= 200) break;
        if (thread_create("f", limit_stacks[k] + 1024, forks_to_the_limit, 0) < 0) break;
        started++;
    }
    spin(30000000);
    printf("started %d\n", started > 0);
    exit_group(4);
}

/* runend: the first process ends while a child's threads wait in every way: a pipe read,
 * a write to a full pipe, a join, console input, and one spins; the child's main thread
 * waits in a read of its own pipe */
static int full[2], empty[2];
static char filler[8192];
static int writes_full(void *argument) {
    write(full[1], filler, sizeof filler);
    exit(1);
}
static int reads_empty(void *argument) {
    char c;
    read(empty[0], &c, 1);
    exit(1);
}
static int spins(void *argument) { for (;;) {} }
static int runend_mode(void) {
    pipe(full);
    pipe(empty);
    int child = fork();
    if (child == 0) {
        int a = thread_create("writer", new_stack(), writes_full, 0);
        thread_create("reader", new_stack(), reads_empty, 0);
        thread_create("console", new_stack(), reads_console, 0);
        thread_create("joiner", new_stack(), joins, (void *)(long)a);
        thread_create("spinner", new_stack(), spins, 0);
        char c;
        read(empty[0], &c, 1);
        exit(1);
    }
    spin(10000000);
    printf("the first process ends\n");
    return 6;
}

/* lastpage: a thread whose stack is the top of the user half */
static int lastpage_mode(void) {
    char *top = mmap((void *)0x7ffffffff000UL, 4096, PROT_READ | PROT_WRITE, -1, 0);
    printf("mmap of the last page: %s\n", top == (char *)0x7ffffffff000UL ? "yes" : "no");
    if (top != (char *)0x7ffffffff000UL) return 0;
    int tid = thread_create("top", (void *)0x800000000000UL, quit, (void *)8);
    int status = 0;
    int joined = thread_join(tid, &status);
    printf("thread on the last page: %d, join %d, status %d\n", tid > 0, joined, status);
    int child = fork();
    if (child == 0) exit(0);
    printf("fork: %d\n", child > 0);
    return 0;
}

/* stdinfork: three children and the parent's threads read standard input at once; every
 * byte reaches exactly one reader */
static int stdinfork_mode(void) {
    int counts[2];
    pipe(counts);
    for (int i = 0; i < 3; i++) {
        if (fork() == 0) {
            long mine = 0;
            int t = thread_create("reader", new_stack(), reads_line, &mine);
            char buffer[7];
            long r;
            while ((r = read(0, buffer, sizeof buffer)) > 0) __atomic_fetch_add(&mine, r, __ATOMIC_SEQ_CST);
            thread_join(t, 0);
            write(counts[1], &mine, sizeof mine);
            exit(0);
        }
    }
    close(counts[1]);
    long total = 0;
    int t = thread_create("reader", new_stack(), reads_line, &total);
    thread_join(t, 0);
    long count;
    for (int i = 0; i < 3; i++) {
        if (read(counts[0], &count, sizeof count) != sizeof count) { printf("a child did not report\n"); return 1; }
        total += count;
    }
    printf("read %ld bytes in all\n", total);
    return 0;
}

/* ssethreads: four threads and the main thread keep their own xmm registers and MXCSR
 * across hundreds of switches, waits in pipes included */
static int sse_pipe[2];
static int sse_errors;
static int sse_keeper(void *argument) {
    long id = (long)argument;
    unsigned int mode = 0x1f80 | (unsigned int)(id & 3) << 13;
    __asm__ volatile("ldmxcsr %0" : : "m"(mode));
    unsigned long pattern[2] = {0x1111111111111111UL * (unsigned long)(id + 1), ~0UL - (unsigned long)id};
    __asm__ volatile(
        "movdqu (%0), %%xmm0\n\tmovdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\tmovdqa %%xmm0, %%xmm3\n\t"
        "movdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\tmovdqa %%xmm0, %%xmm6\n\tmovdqa %%xmm0, %%xmm7\n\t"
        "movdqa %%xmm0, %%xmm8\n\tmovdqa %%xmm0, %%xmm9\n\tmovdqa %%xmm0, %%xmm10\n\tmovdqa %%xmm0, %%xmm11\n\t"
        "movdqa %%xmm0, %%xmm12\n\tmovdqa %%xmm0, %%xmm13\n\tmovdqa %%xmm0, %%xmm14\n\tmovdqa %%xmm0, %%xmm15"
        : : "r"(pattern) : "memory");
    for (int round = 0; round < 200; round++) {
        for (volatile int i = 0; i < 20000; i++) {}
        if (round % 10 == 0) {
            char c = 1;
            /* a raw write and read through the pipe: nothing in C touches xmm */
            __asm__ volatile("syscall" : : "a"(3), "D"(sse_pipe[1]), "S"(&c), "d"(1) : "rcx", "r11", "memory");
            __asm__ volatile("syscall" : : "a"(2), "D"(sse_pipe[0]), "S"(&c), "d"(1) : "rcx", "r11", "memory");
        }
        unsigned long seen[32];
        __asm__ volatile(
            "movdqu %%xmm0, 0(%0)\n\tmovdqu %%xmm1, 16(%0)\n\tmovdqu %%xmm2, 32(%0)\n\tmovdqu %%xmm3, 48(%0)\n\t"
            "movdqu %%xmm4, 64(%0)\n\tmovdqu %%xmm5, 80(%0)\n\tmovdqu %%xmm6, 96(%0)\n\tmovdqu %%xmm7, 112(%0)\n\t"
            "movdqu %%xmm8, 128(%0)\n\tmovdqu %%xmm9, 144(%0)\n\tmovdqu %%xmm10, 160(%0)\n\tmovdqu %%xmm11, 176(%0)\n\t"
            "movdqu %%xmm12, 192(%0)\n\tmovdqu %%xmm13, 208(%0)\n\tmovdqu %%xmm14, 224(%0)\n\tmovdqu %%xmm15, 240(%0)"
            : : "r"(seen) : "memory");
        unsigned int now;
        __asm__ volatile("stmxcsr %0" : "=m"(now));
        int bad = now != mode;
        for (int k = 0; k < 32; k++) bad |= seen[k] != pattern[k & 1];
        if (bad) { __atomic_fetch_add(&sse_errors, 1, __ATOMIC_SEQ_CST); break; }
    }
    exit(0);
}
static int ssethreads_mode(void) {
    pipe(sse_pipe);
    int t[4];
    for (long i = 0; i < 4; i++) t[i] = thread_create("sse", new_stack(), sse_keeper, (void *)(i + 1));
    for (int i = 0; i < 4; i++) thread_join(t[i], 0);
    printf("threads whose registers changed: %d\n", sse_errors);
    return 0;
}

/* bigwrite: a write of a large mapping never touched; then a thread on an untouched page */
static int bigwrite_mode(void) {
    unsigned long size = 512UL << 20; /* more than the machine has free */
    char *big = mmap((void *)0x10000000000UL, size, PROT_READ | PROT_WRITE, -1, 0);
    int fd = open("empty", 1);
    printf("mmap: %d, open: %d\n", big == (char *)0x10000000000UL, fd);
    long r = write(fd, big, size);
    printf("write of 512 MiB never touched, to a file: %ld\n", r);
    char *late = mmap((void *)0x20000000000UL, STACK_SIZE, PROT_READ | PROT_WRITE, -1, 0);
    int tid = thread_create("late", late + STACK_SIZE, quit, (void *)3);
    int status = 0;
    printf("thread_create: %s", tid > 0 ? "started" : "refused");
    if (tid > 0) printf(", join %d status %d", thread_join(tid, &status), status);
    else printf(" %d", tid);
    printf("\n");
    return 0;
}

/* waitunmap: the buffers of threads waiting in a pipe write and a pipe read are unmapped
 * while they wait */
static int wu[2];
static long wrote, got;
#define WRITE_BUFFER 0x800000000ul
#define READ_BUFFER 0x810000000ul
static int waiting_writer(void *argument) {
    wrote = write(wu[1], (void *)WRITE_BUFFER, 8192);
    exit(0);
}
static int waiting_reader(void *argument) {
    got = read(wu[0], (void *)READ_BUFFER, 16);
    exit(0);
}
static int waitunmap_mode(void) {
    pipe(wu);
    mmap((void *)WRITE_BUFFER, 8192, PROT_READ | PROT_WRITE, -1, 0);
    mmap((void *)READ_BUFFER, 4096, PROT_READ | PROT_WRITE, -1, 0);
    int w = thread_create("writer", new_stack(), waiting_writer, 0);
    spin(5000000);
    printf("munmap of the writer's buffer: %d\n", munmap((void *)WRITE_BUFFER));
    static char sink[8192];
    long drained = read(wu[0], sink, sizeof sink);
    thread_join(w, 0);
    printf("drained %ld; the writer's write returned %ld\n", drained, wrote);
    drained = read(wu[0], sink, 0);
    int r = thread_create("reader", new_stack(), waiting_reader, 0);
    spin(5000000);
    printf("munmap of the reader's buffer: %d\n", munmap((void *)READ_BUFFER));
    write(wu[1], "x", 1);
    thread_join(r, 0);
    char c = 0;
    long back = read(wu[0], &c, 1);
    printf("the reader's read returned %ld; the byte is still there: %ld %c\n", got, back, c);
    return 0;
}

/* deadmix: two processes, each with a main thread joining a thread that reads a pipe whose
 * write ends both hold: a deadlock the kernel must end */
static int dm[2];
static int reads_dm(void *argument) {
    char c;
    read(dm[0], &c, 1);
    exit(1);
}
static int deadmix_mode(void) {
    pipe(dm);
    int child = fork();
    int t = thread_create(child == 0 ? "child" : "parent", new_stack(), reads_dm, 0);
    if (child != 0) printf("both wait\n");
    thread_join(t, 0);
    printf("a join returned\n");
    return 1;
}

/* crossjoin */
static int crossjoin_mode(void) {
    int child = fork();
    if (child == 0) { spin(20000000); exit(0); }
    printf("join of the child process: %d\n", thread_join(child, 0));
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "edges")) return edges_mode();
    if (!strcmp(mode, "joinunmap")) return joinunmap_mode();
    if (!strcmp(mode, "selfunmap")) return selfunmap_mode();
    if (!strcmp(mode, "faultwait")) return faultwait_mode();
    if (!strcmp(mode, "forkstorm")) return forkstorm_mode();
    if (!strcmp(mode, "stdinrace")) return stdinrace_mode();
    if (!strcmp(mode, "limits")) return limits_mode();
    if (!strcmp(mode, "runend")) return runend_mode();
    if (!strcmp(mode, "lastpage")) return lastpage_mode();
    if (!strcmp(mode, "stdinfork")) return stdinfork_mode();
    if (!strcmp(mode, "ssethreads")) return ssethreads_mode();
    if (!strcmp(mode, "bigwrite")) return bigwrite_mode();
    if (!strcmp(mode, "waitunmap")) return waitunmap_mode();
    if (!strcmp(mode, "deadmix")) return deadmix_mode();
    if (!strcmp(mode, "crossjoin")) return crossjoin_mode();
    printf("unknown mode\n");
    return 2;
}
