/* threadtest MODE: threads under attack and by the rules of ABI.md §5. Each mode prints
 * what it saw; the system tests compare output and status exactly.
 *   count       8 threads add to one counter with atomic instructions; joined with statuses
 *   joinerr     joins that must fail: unknown ids, itself, twice, a bad status pointer
 *   spin        a thread spins forever while the main thread calls exit_group(7)
 *   fault       a thread writes to address 0: the whole process ends (-1)
 *   return      a thread returns from its function: a fault too
 *   chain       the main thread joins A, which starts B, joins it and adds to its status
 *   doublejoin  two threads join one: exactly one succeeds
 *   sharedmap   mappings made after a thread started are shared both ways
 *   mainexit    the main thread exits first (status 3); a thread goes on and prints
 *   blocked     a thread waits in read and another in thread_join when exit_group comes
 *   many        500 threads started and joined in turn, a dozen at a time (no leak)
 *   joincycle   A joins B, B joins A, the main thread joins A: a deadlock the kernel ends
 *   forkthreads a process with a spinning thread and a waiting one forks from a third: the
 *               child has the calling thread only
 *   unmapstack  the main thread unmaps a running thread's stack: the thread faults, the
 *               process ends
 *   storm       threads are started until the kernel refuses (NoMemory), then all joined,
 *               and starting works again
 *   regs        the registers a new thread starts with, stored by its first instructions */
#include <mman.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include <thread.h>

/* Thread stacks, handed out in turn (a mode uses at most 16). */
static char stacks[16][STACK_SIZE] __attribute__((aligned(16)));
static int stacks_used;

static char *new_stack(void) {
    if (stacks_used == 16) { printf("out of stacks\n"); exit(1); }
    return stacks[stacks_used++] + STACK_SIZE;
}

static int start_on(int (*fn)(void *), char *stack) {
    int tid = thread_create("test", stack, fn, 0);
    if (tid < 0) { printf("thread_create failed: %d\n", tid); exit(1); }
    return tid;
}

static int start(int (*fn)(void *), void *argument) {
    int tid = thread_create("test", new_stack(), fn, argument);
    if (tid < 0) { printf("thread_create failed: %d\n", tid); exit(1); }
    return tid;
}

static void spin(long rounds) {
    for (volatile long i = 0; i < rounds; i++) {}
}

/* count */
static long counter;
static int add(void *argument) {
    for (int i = 0; i < 100000; i++) __atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
    exit((int)(long)argument * 10);
}

static int count_mode(void) {
    int tids[8];
    for (long i = 0; i < 8; i++) tids[i] = start(add, (void *)i);
    for (int i = 0; i < 8; i++) {
        int status = -1;
        int result = thread_join(tids[i], &status);
        printf("join %d: %d, status %d\n", i, result, status);
    }
    printf("counter %ld\n", counter);
    return 0;
}

/* joinerr */
static volatile int own_tid;
static int join_self(void *unused) {
    (void)unused;
    while (own_tid == 0) {}
    exit(thread_join(own_tid, 0));
}
static int quick(void *unused) {
    (void)unused;
    exit(5);
}

static int joinerr_mode(void) {
    printf("join of 999999: %d\n", thread_join(999999, 0));
    printf("join of 0: %d\n", thread_join(0, 0));
    printf("join of -1: %d\n", thread_join(-1, 0));
    int tid = start(join_self, 0);
    own_tid = tid;
    int status = 0;
    printf("a thread joining itself: %d\n", (thread_join(tid, &status), status));
    int other = start(quick, 0);
    printf("join with status at 0x8: %d\n", thread_join(other, (int *)8));
    printf("join with status in the kernel: %d\n", thread_join(other, (int *)0xffff800000000000UL));
    printf("join with status in read-only memory: %d\n", thread_join(other, (int *)"constant"));
    printf("join with NULL status: %d\n", thread_join(other, 0));
    printf("join again: %d\n", thread_join(other, &status));
    return 0;
}

/* spin */
static int spin_forever(void *unused) {
    (void)unused;
    for (;;) __asm__ volatile("" ::: "memory");
}

static int spin_mode(void) {
    start(spin_forever, 0);
    spin(2000000);
    printf("exit_group while a thread spins\n");
    exit_group(7);
}

/* fault, return */
static int write_zero(void *unused) {
    (void)unused;
    *(volatile int *)0 = 1;
    exit(0);
}
static int returns(void *unused) {
    (void)unused;
    return 4;
}

static int fault_mode(int (*fn)(void *)) {
    printf("the main thread starts a thread that faults, and joins it\n");
    int tid = start(fn, 0);
    int status;
    thread_join(tid, &status);
    printf("not reached: the process ended\n");
    return 0;
}

/* chain */
static int compute(void *argument) {
    long n = (long)argument, sum = 0;
    for (long i = 1; i <= n; i++) sum += i;
    exit((int)sum);
}
static int middle(void *unused) {
    (void)unused;
    int b = start(compute, (void *)100);
    int status = 0;
    if (thread_join(b, &status) < 0) exit(-100);
    exit(status + 1);
}

static int chain_mode(void) {
    int a = start(middle, 0);
    int status = 0;
    printf("join A: %d, status %d\n", thread_join(a, &status), status);
    return 0;
}

/* doublejoin */
static volatile int target_tid;
static int long_job(void *unused) {
    (void)unused;
    spin(3000000);
    exit(11);
}
static int join_target(void *unused) {
    (void)unused;
    int status = 0;
    int result = thread_join(target_tid, &status);
    exit(result == 0 ? status : result);
}

static int doublejoin_mode(void) {
    target_tid = start(long_job, 0);
    int first = start(join_target, 0), second = start(join_target, 0);
    int a = 0, b = 0;
    thread_join(first, &a);
    thread_join(second, &b);
    int successes = (a == 11) + (b == 11), refusals = (a == -22) + (b == -22);
    printf("%d join succeeded with status 11, %d was refused with -22\n", successes, refusals);
    return 0;
}

/* sharedmap */
static int talk[2], answer[2];
static int map_user(void *unused) {
    (void)unused;
    long *theirs;
    read(talk[0], &theirs, sizeof theirs);
    long seen = *theirs;
    *theirs = 2222;
    long *mine = mmap((void *)0x300000000, 4096, PROT_READ | PROT_WRITE, -1, 0);
    *mine = seen + 1;
    write(answer[1], &mine, sizeof mine);
    exit(0);
}

static int sharedmap_mode(void) {
    pipe(talk);
    pipe(answer);
    int tid = start(map_user, 0);
    long *shared = mmap((void *)0x200000000, 4096, PROT_READ | PROT_WRITE, -1, 0);
    *shared = 1111;
    write(talk[1], &shared, sizeof shared);
    long *theirs;
    read(answer[0], &theirs, sizeof theirs);
    thread_join(tid, 0);
    printf("the thread saw %ld in the main thread's new mapping; it now holds %ld\n", *theirs - 1, *shared);
    printf("munmap of the thread's mapping from the main thread: %d\n", munmap(theirs));
    return 0;
}

/* mainexit */
static int go_fds[2];
static int outlive(void *unused) {
    (void)unused;
    char byte;
    read(go_fds[0], &byte, 1); /* the main thread has printed its line and is about to exit */
    spin(1000000);
    printf("the thread still runs after the main thread's exit\n");
    exit(5);
}

static int mainexit_mode(void) {
    pipe(go_fds);
    start(outlive, 0);
    printf("the main thread exits with 3\n");
    write(go_fds[1], "g", 1);
    exit(3);
}

/* blocked */
static int block_fds[2];
static int block_in_read(void *unused) {
    (void)unused;
    char byte;
    read(block_fds[0], &byte, 1);
    printf("not reached: read returned\n");
    exit(0);
}
static int block_in_join(void *argument) {
    thread_join((int)(long)argument, 0);
    printf("not reached: join returned\n");
    exit(0);
}

static int blocked_mode(void) {
    pipe(block_fds);
    int reader = start(block_in_read, 0);
    start(block_in_join, (void *)(long)reader);
    spin(2000000);
    printf("exit_group with a thread in read and one in thread_join\n");
    exit_group(9);
}

/* many */
static int many_mode(void) {
    int tids[12];
    char *stacks[12];
    for (int i = 0; i < 12; i++) stacks[i] = new_stack();
    long sum = 0;
    for (int round = 0; round < 500 / 12 + 1; round++) {
        for (int i = 0; i < 12; i++) tids[i] = thread_create("many", stacks[i], compute, (void *)(long)(i + 1));
        for (int i = 0; i < 12; i++) {
            int status = 0;
            if (tids[i] < 0 || thread_join(tids[i], &status) < 0) { printf("round %d: thread %d failed\n", round, i); return 1; }
            sum += status;
        }
    }
    printf("%d threads joined, statuses summed to %ld\n", (500 / 12 + 1) * 12, sum);
    return 0;
}

/* joincycle */
static volatile int a_tid, b_tid;
static int join_b(void *unused) {
    (void)unused;
    while (b_tid == 0) {}
    thread_join(b_tid, 0);
    exit(0);
}
static int join_a(void *unused) {
    (void)unused;
    thread_join(a_tid, 0);
    exit(0);
}

static int joincycle_mode(void) {
    a_tid = start(join_b, 0);
    b_tid = start(join_a, 0);
    printf("A joins B, B joins A, and the main thread joins A\n");
    thread_join(a_tid, 0);
    printf("not reached: the join returned\n");
    return 0;
}

/* forkthreads */
static int fork_fds[2], report_fds[2];
static volatile int spinner_tid, waiter_tid, forked_pid;
static int forker(void *unused) {
    (void)unused;
    int child = fork();
    if (child == 0) {
        /* The child's only thread is this one: the others' ids are nobody's here. */
        int a = thread_join(spinner_tid, 0), b = thread_join(waiter_tid, 0);
        int own = thread_create("child's", new_stack(), quick, 0);
        char line[80];
        int length = snprintf(line, sizeof line, "in the child, joins of the parent's other threads: %d %d\n", a, b);
        write(report_fds[1], &own, sizeof own);
        write(report_fds[1], line, length);
        exit(0);
    }
    forked_pid = child;
    exit(child > 0 ? 0 : child);
}

static int forkthreads_mode(void) {
    pipe(block_fds);
    pipe(fork_fds);
    pipe(report_fds);
    spinner_tid = start(spin_forever, 0);
    waiter_tid = start(block_in_read, 0); /* reads block_fds: open it first */
    int tid = start(forker, 0);
    int status = -1;
    thread_join(tid, &status);
    int childs_thread = 0;
    read(report_fds[0], &childs_thread, sizeof childs_thread);
    char line[80];
    long length = read(report_fds[0], line, sizeof line);
    write(1, line, length);
    printf("fork from a thread: %d\n", status);
    /* Ids are unique in the system: the parent's threads, the child, the child's thread. */
    int ids[] = { 1, spinner_tid, waiter_tid, tid, forked_pid, childs_thread };
    int distinct = 1;
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < i; j++) distinct &= ids[i] > 0 && ids[i] != ids[j];
    printf("thread and process ids distinct and positive: %s\n", distinct ? "yes" : "no");
    exit_group(0);
}

/* unmapstack */
#define UNMAPPED_STACK 0x400000000ul
static int busy_on_own_stack(void *unused) {
    (void)unused;
    for (;;) {
        volatile char buffer[512];
        for (int i = 0; i < 512; i++) buffer[i] = (char)i;
    }
}

static int unmapstack_mode(void) {
    char *stack = mmap((void *)UNMAPPED_STACK, STACK_SIZE, PROT_READ | PROT_WRITE, -1, 0);
    int tid = start_on(busy_on_own_stack, stack + STACK_SIZE);
    spin(1000000);
    /* Said first: the thread may fault (and the process end) as soon as the stack is gone. */
    printf("the main thread unmaps a running thread's stack\n");
    munmap(stack);
    thread_join(tid, 0);
    printf("not reached: the process ended\n");
    return 0;
}

/* storm */
#define STORM 160
static char storm_stacks[STORM][STACK_SIZE] __attribute__((aligned(16)));
static int wait_for_go(void *unused) {
    (void)unused;
    char byte;
    read(fork_fds[0], &byte, 1);
    exit(1);
}

static int storm_mode(void) {
    static int tids[STORM];
    pipe(fork_fds);
    int count = 0, refusal = 0;
    while (count < STORM) {
        int tid = thread_create("storm", storm_stacks[count] + STACK_SIZE, wait_for_go, 0);
        if (tid < 0) { refusal = tid; break; }
        tids[count++] = tid;
    }
    printf("%d threads started, then %d\n", count, refusal);
    close(fork_fds[1]);
    int sum = 0;
    for (int i = 0; i < count; i++) {
        int status = 0;
        if (thread_join(tids[i], &status) == 0) sum += status;
    }
    printf("all joined: %d\n", sum);
    int again = thread_create("storm", storm_stacks[0] + STACK_SIZE, quick, 0);
    int status = 0;
    printf("a thread starts again: %s, status %d\n", again > 0 ? "yes" : "no", (thread_join(again, &status), status));
    return 0;
}

/* regs: the entry stub stores every register before anything can change one. */
unsigned long entry_registers[18]; /* rax rbx rcx rdx rsi rdi rbp r8–r15, rsp, [rsp], rflags */
unsigned char entry_xmm[16 * 16];
unsigned int entry_mxcsr;
unsigned short entry_fcw;
int regs_entry(void *argument);
void regs_report(void);
__asm__(".text\n"
        ".globl regs_entry\n"
        "regs_entry:\n"
        "  movq %rax, entry_registers+0(%rip)\n"
        "  movq %rbx, entry_registers+8(%rip)\n"
        "  movq %rcx, entry_registers+16(%rip)\n"
        "  movq %rdx, entry_registers+24(%rip)\n"
        "  movq %rsi, entry_registers+32(%rip)\n"
        "  movq %rdi, entry_registers+40(%rip)\n"
        "  movq %rbp, entry_registers+48(%rip)\n"
        "  movq %r8, entry_registers+56(%rip)\n"
        "  movq %r9, entry_registers+64(%rip)\n"
        "  movq %r10, entry_registers+72(%rip)\n"
        "  movq %r11, entry_registers+80(%rip)\n"
        "  movq %r12, entry_registers+88(%rip)\n"
        "  movq %r13, entry_registers+96(%rip)\n"
        "  movq %r14, entry_registers+104(%rip)\n"
        "  movq %r15, entry_registers+112(%rip)\n"
        "  movq %rsp, entry_registers+120(%rip)\n"
        "  movq (%rsp), %rax\n"
        "  movq %rax, entry_registers+128(%rip)\n"
        "  pushfq\n"
        "  popq %rax\n"
        "  movq %rax, entry_registers+136(%rip)\n"
        "  movdqu %xmm0, entry_xmm+0(%rip)\n"
        "  movdqu %xmm1, entry_xmm+16(%rip)\n"
        "  movdqu %xmm2, entry_xmm+32(%rip)\n"
        "  movdqu %xmm3, entry_xmm+48(%rip)\n"
        "  movdqu %xmm4, entry_xmm+64(%rip)\n"
        "  movdqu %xmm5, entry_xmm+80(%rip)\n"
        "  movdqu %xmm6, entry_xmm+96(%rip)\n"
        "  movdqu %xmm7, entry_xmm+112(%rip)\n"
        "  movdqu %xmm8, entry_xmm+128(%rip)\n"
        "  movdqu %xmm9, entry_xmm+144(%rip)\n"
        "  movdqu %xmm10, entry_xmm+160(%rip)\n"
        "  movdqu %xmm11, entry_xmm+176(%rip)\n"
        "  movdqu %xmm12, entry_xmm+192(%rip)\n"
        "  movdqu %xmm13, entry_xmm+208(%rip)\n"
        "  movdqu %xmm14, entry_xmm+224(%rip)\n"
        "  movdqu %xmm15, entry_xmm+240(%rip)\n"
        "  stmxcsr entry_mxcsr(%rip)\n"
        "  fnstcw entry_fcw(%rip)\n"
        "  andq $-16, %rsp\n"
        "  call regs_report\n"
        "  ud2\n");

#define REGS_ARGUMENT 0x123456789abcul

void regs_report(void) {
    char *stack = stacks[0] + STACK_SIZE;
    int others_zero = 1;
    for (int i = 0; i < 15; i++)
        if (i != 5) others_zero &= entry_registers[i] == 0;
    int xmm_zero = 1;
    for (int i = 0; i < 256; i++) xmm_zero &= entry_xmm[i] == 0;
    printf("rdi is the argument: %s\n", entry_registers[5] == REGS_ARGUMENT ? "yes" : "no");
    printf("rsp is the stack minus 8: %s; the return address there is %lu\n",
           entry_registers[15] == (unsigned long)stack - 8 ? "yes" : "no", entry_registers[16]);
    printf("every other general register is 0: %s\n", others_zero ? "yes" : "no");
    printf("rflags 0x%lx\n", entry_registers[17]);
    printf("xmm0-15 zero: %s, MXCSR 0x%x, FPU control word 0x%x\n", xmm_zero ? "yes" : "no", entry_mxcsr, entry_fcw);
    exit(0);
}

static int regs_mode(void) {
    /* The caller's own state is far from a clean one: none of it may reach the thread. */
    unsigned int mxcsr = 0x7f80 | 0x6000; /* round toward zero */
    unsigned short fcw = 0x27f;
    __asm__ volatile("ldmxcsr %0\n fldcw %1\n pcmpeqd %%xmm0, %%xmm0\n pcmpeqd %%xmm7, %%xmm7\n pcmpeqd %%xmm15, %%xmm15"
                     : : "m"(mxcsr), "m"(fcw) : "xmm0", "xmm7", "xmm15");
    int tid = start(regs_entry, (void *)REGS_ARGUMENT);
    int status = -1;
    thread_join(tid, &status);
    return status;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "count")) return count_mode();
    if (!strcmp(mode, "joinerr")) return joinerr_mode();
    if (!strcmp(mode, "spin")) return spin_mode();
    if (!strcmp(mode, "fault")) return fault_mode(write_zero);
    if (!strcmp(mode, "return")) return fault_mode(returns);
    if (!strcmp(mode, "chain")) return chain_mode();
    if (!strcmp(mode, "doublejoin")) return doublejoin_mode();
    if (!strcmp(mode, "sharedmap")) return sharedmap_mode();
    if (!strcmp(mode, "mainexit")) return mainexit_mode();
    if (!strcmp(mode, "blocked")) return blocked_mode();
    if (!strcmp(mode, "many")) return many_mode();
    if (!strcmp(mode, "joincycle")) return joincycle_mode();
    if (!strcmp(mode, "forkthreads")) return forkthreads_mode();
    if (!strcmp(mode, "unmapstack")) return unmapstack_mode();
    if (!strcmp(mode, "storm")) return storm_mode();
    if (!strcmp(mode, "regs")) return regs_mode();
    printf("usage: threadtest count|joinerr|spin|fault|return|chain|doublejoin|sharedmap|mainexit|blocked|many|joincycle|forkthreads|unmapstack|storm|regs\n");
    return 2;
}
