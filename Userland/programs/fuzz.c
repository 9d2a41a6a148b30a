/* fuzz: 100,000 system calls with random numbers and arguments, biased toward bad pointers,
 * fork, pipe and threads among them: every child fuzzes on with a sequence of its own for a
 * while, and so does every thread the program starts (up to eight at once, joined before
 * their stacks are used again, and joined at random), so several processes and threads fuzz
 * at once. Every call must return; the kernel must neither panic nor leak, whatever the
 * children and threads were doing when the run ended with the first process.
 *
 * What is kept away from the fuzz, because the program itself would break, not the kernel:
 * exit and exit_group; thread_create of a random function (the thread would fault and end
 * the whole process), so a random thread_create always has a bad stack; joins from threads
 * (two threads joining each other would be a deadlock, which the kernel ends); writes from
 * threads (one could fill a pipe between the main thread's pipe() and its close()). */
#include <stdio.h>
#include <stdlib.h>
#include <syscall.h>
#include <thread.h>

static unsigned long state = 0x9E3779B97F4A7C15ul;
static unsigned long next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static char scratch[8192];

static long pointer(void) {
    static const long bad[] = {
        0, 8, 0xffff800000000000, (long)0xffffffffffffffff, 0x0000800000000000, 0x500000000000,
        0x507fc0000000, 0x10000000, 0x7ffffffff000, 0x401000, (long)0xfffffffffffff000, 0x4747fff8,
    };
    switch (next() % 4) {
    case 0: return bad[next() % (sizeof bad / sizeof bad[0])];
    case 1: return (long)(scratch + next() % sizeof scratch);
    case 2: return (long)next();
    default: return 0x10000000 + (long)(next() % 64) * 0x1000;
    }
}

static long value(void) {
    switch (next() % 5) {
    case 0: return (long)(next() % 8);
    case 1: return (long)next();
    case 2: return -1;
    case 3: return (long)(next() % 0x10000);
    default: return pointer();
    }
}

#define THREADS 8
#define THREAD_CALLS 300
static char stacks[THREADS][STACK_SIZE] __attribute__((aligned(16)));
static int tids[THREADS];
static int started;
static int child;
static long errors;

static int fuzz_thread(void *argument);

/* Makes `calls` random calls; `in_thread` for a thread other than the main one. */
static void fuzz(long calls, int in_thread) {
    for (long i = 0; i < calls; i++) {
        long number = (long)(next() % 14);
        if (next() % 8 == 0) number = (long)(next() % 0x100);
        if (next() % 50 == 0) number = (long)next();
        if (number == SYS_EXIT || number == SYS_EXIT_GROUP) continue;
        if (in_thread && (number == SYS_THREAD_JOIN || number == SYS_WRITE)) continue;
        if (number == SYS_THREAD_CREATE && !in_thread && !child && next() % 2 == 0) {
            /* A real thread: its slot's previous thread is joined first (or was, at random). */
            int slot = started++ % THREADS;
            if (started > THREADS) thread_join(tids[slot], 0);
            tids[slot] = thread_create((const char *)pointer(), stacks[slot] + STACK_SIZE, fuzz_thread, 0);
            if (tids[slot] < 0) errors++;
            continue;
        }
        /* About a hundred forks in all, from the first process only: each child makes two
         * thousand calls of its own, so the run stays short. */
        if (number == SYS_FORK && (child || next() % 64 != 0)) continue;
        long a = value(), b = value(), c = value(), d = value(), e = value();
        if (number == SYS_THREAD_CREATE) b = (long)0xffff800000000000; /* never starts: see above */
        if (number == SYS_MUNMAP && (a == 0x401000 || a == 0x47470000 || (a & ~0xfffl) == ((long)scratch & ~0xfffl))) continue;
        if (number == SYS_MMAP && b > (64l << 20)) b &= 0xffffff;
        if ((number == SYS_WRITE || number == SYS_CLOSE) && (a == 1 || a == 2)) a = 0;
        if (number == SYS_READ) b = pointer() == 0 ? 0 : b; /* keep reads away from the program's own data */
        if (number == SYS_READ && b != 0 && (unsigned long)(b - (long)scratch) >= sizeof scratch && b > 0x400000 && b < 0x47480000) b = (long)scratch;
        long result = syscall6(number, a, b, c, d, e, 0);
        /* A read of an empty pipe waits while a write end is open, and only this program
         * could write: a new pipe's write end is closed at once, so no read waits forever. */
        if (number == SYS_PIPE && result == 0) close(((int *)a)[1]);
        if (number == SYS_FORK && result == 0) {
            /* The child: a sequence of its own, two thousand calls, then it ends quietly. */
            state ^= 0xD1B54A32D192ED03ul * (unsigned long)(i + 1);
            child = 1;
            calls = i + 1 + 2000;
        }
        if (result < 0 && -result < 0x100) errors++;
    }
}

static int fuzz_thread(void *argument) {
    (void)argument;
    fuzz(THREAD_CALLS, 1);
    exit(0);
}

int main(int argc, char **argv) {
    long calls = argc > 1 ? atoi(argv[1]) : 100000;
    fuzz(calls, 0);
    if (child) return 0;
    printf("%ld calls returned; %d threads were started\n", calls, started);
    return 0;
}
