// Faults as signals: each kind of fault a program can cause (a bad access, a write to a
// read-only page, a divide error, an invalid opcode, a privileged instruction, int3) reaches
// the program's handler with Linux's si_signo, si_code and si_addr; a handler that mprotects
// the page and returns makes the access succeed; a fault signal that is blocked or ignored
// kills; a stack overflow is caught on an alternate stack; sigaltstack's answers and
// refusals; a handler due on a bad alternate stack kills with SIGSEGV; a call restarted once
// after a failed frame; a system call made with EFLAGS.NT set. Each fault runs in a
// child; the parent prints how it ended.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

// Printing from a handler: formatted into a buffer and written at once.
static void say(const char *format, ...) {
    char line[256];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    write(1, line, length);
}

static void report(const char *name, pid_t child) {
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) say("%s: killed by signal %d\n", name, WTERMSIG(status));
    else say("%s: exit %d\n", name, WEXITSTATUS(status));
}

static void on(int signal, void (*handler)(int, siginfo_t *, void *), int flags) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = handler;
    action.sa_flags = SA_SIGINFO | flags;
    sigaction(signal, &action, 0);
}

// The address the handler expects in si_addr (a page, or an instruction's label).
static volatile unsigned long expected;

static void print_and_exit(int signal, siginfo_t *info, void *context) {
    ucontext_t *uc = context;
    unsigned long addr = (unsigned long)info->si_addr;
    say("  signo %d code %d addr %s trapno %lld", info->si_signo, info->si_code,
        addr == expected ? "as expected" : addr == 0 ? "0" : "unexpected", uc->uc_mcontext.gregs[REG_TRAPNO]);
    if ((signal == SIGSEGV || signal == SIGBUS) && info->si_code != SI_KERNEL)
        say(" cr2 %s", (unsigned long)uc->uc_mcontext.gregs[REG_CR2] == addr ? "= si_addr" : "differs");
    if (signal == SIGFPE || signal == SIGILL)
        say(" rip %s", (unsigned long)uc->uc_mcontext.gregs[REG_RIP] == expected ? "= si_addr" : "differs");
    say("\n");
    _exit(signal);
}

static char *page(int protection) {
    char *p = mmap(0, 4096, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p;
}

static void read_at(unsigned long address) {
    expected = address;
    say("  read %s\n", *(volatile char *)address ? "something" : "zero");
}

static void divide_by_zero(void) {
    int result;
    __asm__ volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, expected(%%rip)\n\t"
                     "mov $7, %%eax\n\tcltd\n\txor %%ecx, %%ecx\n1:\tidivl %%ecx\n\tmov %%eax, %0"
                     : "=r"(result) : : "rax", "rcx", "rdx", "memory");
    say("  divided: %d\n", result);
}

static void overflow_divide(void) {
    __asm__ volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, expected(%%rip)\n\t"
                     "mov $0x80000000, %%eax\n\tcltd\n\tmov $-1, %%ecx\n1:\tidivl %%ecx"
                     : : : "rax", "rcx", "rdx", "memory");
    say("  divided\n");
}

static void invalid_opcode(void) {
    __asm__ volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, expected(%%rip)\n1:\tud2" : : : "rax", "memory");
}

static void privileged(void) {
    expected = 0;
    __asm__ volatile("hlt");
}

static void non_canonical(void) {
    expected = 0;
    read_at(0x800000000000UL);
}

static void breakpoint(void) {
    expected = 0;
    __asm__ volatile("int3");
    say("  after int3\n");
}

// Each fault, caught, in a child of its own.
static void caught(const char *name, int signal, void (*fault)(void)) {
    say("%s:\n", name);
    pid_t child = fork();
    if (child == 0) {
        on(signal, print_and_exit, 0);
        fault();
        _exit(0);
    }
    report("  and", child);
}

static char *target;
static void fault_unmapped(void) { read_at(0x10000); }
static void fault_kernel(void) { read_at(0xFFFF800000100000UL); }
static void fault_write_read_only(void) {
    target = page(PROT_READ);
    expected = (unsigned long)target + 100;
    target[100] = 1;
}
static void fault_write_none(void) {
    target = page(PROT_NONE);
    expected = (unsigned long)target + 8;
    target[8] = 1;
}
static void fault_execute(void) {
    target = page(PROT_READ | PROT_WRITE);
    target[0] = (char)0xC3; // ret
    expected = (unsigned long)target;
    ((void (*)(void))target)();
}
static void fault_unmapped_after_munmap(void) {
    target = page(PROT_READ | PROT_WRITE);
    munmap(target, 4096);
    read_at((unsigned long)target + 4095);
}

// A file mapping longer than the file (its source, src.c, beside it): the last page of the
// file reads as zeros past its end, the pages after it are SIGBUS (BUS_ADRERR).
static void fault_past_end_of_file(void) {
    int fd = open("src.c", O_RDONLY);
    off_t size = lseek(fd, 0, SEEK_END);
    unsigned long pages = ((unsigned long)size + 4095) / 4096;
    char *p = mmap(0, (pages + 2) * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    say("  last byte of the file's last page: %d\n", p[pages * 4096 - 1]);
    expected = (unsigned long)p + pages * 4096 + 100;
    say("  past the end: %d\n", p[pages * 4096 + 100]);
}

// A handler that fixes the mapping and returns: the access is made again and succeeds.
static int repairs;
static void repair(int signal, siginfo_t *info, void *context) {
    (void)signal; (void)context;
    repairs++;
    mprotect((void *)((unsigned long)info->si_addr & ~4095UL), 4096, PROT_READ | PROT_WRITE);
}

static void repaired(void) {
    on(SIGSEGV, repair, 0);
    char *p = page(PROT_NONE);
    p[10] = 42;
    p[11] = p[10] + 1;
    say("repaired by the handler: %d %d, handler ran %d time(s)\n", p[10], p[11], repairs);
    char *r = page(PROT_READ);
    r[20] = 7;
    say("read-only page made writable: %d, handler ran %d time(s)\n", r[20], repairs);
    signal(SIGSEGV, SIG_DFL);
}

// int3's handler returns: the program goes on after the instruction.
static int traps;
static void count_trap(int signal, siginfo_t *info, void *context) {
    (void)signal; (void)info; (void)context;
    traps++;
}

// Fault signals that are blocked or ignored: the process dies of them.
static void blocked(const char *name, int signal, void (*fault)(void), int ignore) {
    pid_t child = fork();
    if (child == 0) {
        on(signal, print_and_exit, 0);
        if (ignore) {
            struct sigaction action;
            memset(&action, 0, sizeof action);
            action.sa_handler = SIG_IGN;
            sigaction(signal, &action, 0);
        } else {
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, signal);
            sigprocmask(SIG_BLOCK, &set, 0);
        }
        fault();
        _exit(0);
    }
    report(name, child);
}

// A SIGSEGV handler that faults itself (SIGSEGV is blocked while it runs): death.
static void fault_again(int signal, siginfo_t *info, void *context) {
    (void)signal; (void)info; (void)context;
    say("  in the handler, faulting again\n");
    *(volatile char *)0x10000 = 1;
}

// SA_RESETHAND: the handler runs once, the fault comes back and kills.
static void once(int signal, siginfo_t *info, void *context) {
    (void)info; (void)context;
    say("  one-shot handler for %d\n", signal);
}

// The alternate stack.
static char *alternate;
enum { alternate_size = 65536 };

static void print_stack(const char *name, const stack_t *s) {
    say("%s: sp %s size %zu flags %#x\n", name,
        s->ss_sp == 0 ? "0" : s->ss_sp == alternate ? "the alternate stack" : "elsewhere", s->ss_size, s->ss_flags);
}

static void on_alternate(int signal, siginfo_t *info, void *context) {
    ucontext_t *uc = context;
    char local;
    say("  signo %d code %d, handler's stack on the alternate one: %s\n", signal, info->si_code,
        &local > alternate && &local < alternate + alternate_size ? "yes" : "no");
    print_stack("  uc_stack", &uc->uc_stack);
    stack_t now, change = { .ss_sp = alternate, .ss_size = alternate_size, .ss_flags = 0 };
    sigaltstack(0, &now);
    print_stack("  sigaltstack in the handler", &now);
    int result = sigaltstack(&change, 0);
    say("  changing it in the handler: %d %s\n", result, result ? strerror(errno) : "");
    stack_t disable = { .ss_flags = SS_DISABLE };
    result = sigaltstack(&disable, 0);
    say("  disabling it in the handler: %d %s\n", result, result ? strerror(errno) : "");
    if (signal == SIGSEGV) _exit(3);
}

static int depth(int n) {
    volatile char pad[512];
    pad[0] = (char)n;
    return n > 1000000000 ? n : depth(n + 1) + pad[0];
}

// In a child: an alternate stack at `base` with `flags`, a handler for `signal` with
// `action_flags`, then the signal: a stack overflow for SIGSEGV, raise() for the others
// (and the alternate stack as it is after the handler returned).
static void on_alternate_stack(const char *name, int signal, char *base, unsigned flags, int action_flags) {
    say("%s:\n", name);
    pid_t child = fork();
    if (child == 0) {
        stack_t s = { .ss_sp = base, .ss_size = alternate_size, .ss_flags = flags }, after;
        sigaltstack(&s, 0);
        on(signal, on_alternate, action_flags);
        if (signal == SIGSEGV) depth(0);
        raise(signal);
        sigaltstack(0, &after);
        print_stack("  after the handler", &after);
        _exit(0);
    }
    report("  and", child);
}

// kill(getpid(), SIGUSR1) with rsp = `stack`, then ud2 (where a returning handler lands).
static void kill_self_with_stack(unsigned long stack) {
    long pid = getpid();
    __asm__ volatile("mov %0, %%rsp\n\tsyscall\n\tud2" : : "r"(stack), "a"(62L), "D"(pid), "S"((long)SIGUSR1) : "memory");
}

static void try_sigaltstack(const char *name, const stack_t *s, stack_t *old) {
    int result = sigaltstack(s, old);
    say("%s: %d %s\n", name, result, result ? strerror(errno) : "");
}

static void alternate_stack_calls(void) {
    stack_t s, old;
    try_sigaltstack("query at start", 0, &old);
    print_stack("  at start", &old);
    s = (stack_t){ .ss_sp = alternate, .ss_size = 2047, .ss_flags = 0 };
    try_sigaltstack("size 2047", &s, 0);
    s = (stack_t){ .ss_sp = alternate, .ss_size = alternate_size, .ss_flags = 4 };
    try_sigaltstack("flags 4", &s, 0);
    s = (stack_t){ .ss_sp = alternate, .ss_size = alternate_size, .ss_flags = SS_ONSTACK | SS_DISABLE };
    try_sigaltstack("flags SS_ONSTACK|SS_DISABLE", &s, 0);
    try_sigaltstack("unreadable new stack", (stack_t *)0x10000, 0);
    try_sigaltstack("unwritable old stack", 0, (stack_t *)0x10000);
    try_sigaltstack("kernel old stack", 0, (stack_t *)0xFFFF800000100000UL);
    s = (stack_t){ .ss_sp = 0, .ss_size = 0, .ss_flags = SS_DISABLE };
    try_sigaltstack("disable when disabled", &s, 0);
    s = (stack_t){ .ss_sp = alternate, .ss_size = 2048, .ss_flags = 0 };
    try_sigaltstack("size 2048 (MINSIGSTKSZ)", &s, &old);
    print_stack("  old", &old);
    s = (stack_t){ .ss_sp = alternate, .ss_size = alternate_size, .ss_flags = SS_ONSTACK };
    try_sigaltstack("flags SS_ONSTACK", &s, &old);
    print_stack("  old", &old);
    try_sigaltstack("query", 0, &old);
    print_stack("  now", &old);
    s = (stack_t){ .ss_sp = alternate, .ss_size = alternate_size, .ss_flags = SS_AUTODISARM };
    try_sigaltstack("flags SS_AUTODISARM", &s, 0);
    try_sigaltstack("query", 0, &old);
    print_stack("  now", &old);
    s = (stack_t){ .ss_sp = (void *)0x1234, .ss_size = 99, .ss_flags = SS_DISABLE };
    try_sigaltstack("disable with a size", &s, 0);
    try_sigaltstack("query", 0, &old);
    print_stack("  now", &old);
}

// A read waiting on a pipe is interrupted by SIGUSR1, whose handler (SA_RESTART, SA_ONSTACK)
// is due on an unmapped alternate stack: its frame cannot be built, so SIGSEGV comes instead,
// and its handler (SA_RESTART, on the ordinary stack) returns. The read is made again once,
// from its `syscall` instruction, and gets the byte written later. The two-byte instruction
// just before `syscall` counts in ebx how often it ran: a restart that moved the return
// address back twice would run it again.
static void segv_noted(int signal, siginfo_t *info, void *context) { say("  SIGSEGV handled\n"); }
static void nothing(int signal, siginfo_t *info, void *context) {}
static long read_counting(int fd, char *buffer, long *runs) {
    long result, counted;
    __asm__ volatile("xor %%ebx, %%ebx\n\t"
                     "inc %%ebx\n\t" // ff c3: two bytes, right before the syscall
                     "syscall"
                     : "=a"(result), "=b"(counted)
                     : "a"(0L), "D"((long)fd), "S"(buffer), "d"(1L)
                     : "rcx", "r11", "memory");
    *runs = counted;
    return result;
}
static void restart_after_a_failed_frame(void) {
    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        char *gone = mmap(0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(gone, 65536);
        stack_t s = { .ss_sp = gone, .ss_size = 65536, .ss_flags = 0 };
        sigaltstack(&s, 0);
        on(SIGUSR1, nothing, SA_RESTART | SA_ONSTACK);
        on(SIGSEGV, segv_noted, SA_RESTART);
        char byte = 0;
        long runs = 0, got = read_counting(p[0], &byte, &runs);
        say("  read after the failed frame: %ld '%c', the instruction before it ran %ld time(s)\n", got, byte, runs);
        _exit(0);
    }
    usleep(200000); // the child waits in read
    kill(child, SIGUSR1);
    usleep(200000);
    write(p[1], "x", 1);
    report("a read whose signal's frame failed, restarted once", child);
}

// A program may set EFLAGS.NT (popfq), then make a system call after which a handler is
// entered: the kernel's way back must not trip over the flag (it would fault in ring 0).
static void noted(int signal, siginfo_t *info, void *context) { say("  handler ran\n"); }
static void nested_task_flag_at_a_system_call(void) {
    on(SIGUSR1, noted, 0);
    long result;
    __asm__ volatile("pushfq\n\torq $0x4000, (%%rsp)\n\tpopfq\n\t"
                     "syscall\n\t"
                     "pushfq\n\tandq $~0x4000, (%%rsp)\n\tpopfq"
                     : "=a"(result) : "a"(62L), "D"((long)getpid()), "S"((long)SIGUSR1) : "rcx", "r11", "memory", "cc");
    say("kill with NT set: %ld\n", result);
    signal(SIGUSR1, SIG_DFL);
}

int main(int argc, char **argv) {
    if (argc > 1) { // after execve: the alternate stack is gone
        stack_t s;
        sigaltstack(0, &s);
        say("after execve: sp %s size %zu flags %#x\n", s.ss_sp ? "set" : "0", s.ss_size, s.ss_flags);
        return 0;
    }
    caught("read of an unmapped page", SIGSEGV, fault_unmapped);
    caught("read of the kernel's half", SIGSEGV, fault_kernel);
    caught("read of a non-canonical address", SIGSEGV, non_canonical);
    caught("write to a read-only page", SIGSEGV, fault_write_read_only);
    caught("write to a PROT_NONE page", SIGSEGV, fault_write_none);
    caught("execution of a non-executable page", SIGSEGV, fault_execute);
    caught("read after munmap", SIGSEGV, fault_unmapped_after_munmap);
    caught("read past the end of a mapped file", SIGBUS, fault_past_end_of_file);
    caught("integer division by zero", SIGFPE, divide_by_zero);
    caught("INT_MIN / -1", SIGFPE, overflow_divide);
    caught("ud2", SIGILL, invalid_opcode);
    caught("hlt in user mode", SIGSEGV, privileged);
    caught("int3", SIGTRAP, breakpoint);

    pid_t child = fork();
    if (child == 0) {
        repaired();
        _exit(0);
    }
    report("mprotect in the handler", child);

    child = fork();
    if (child == 0) {
        on(SIGTRAP, count_trap, 0);
        __asm__ volatile("int3\n\tint $3\n\tint3");
        say("int3, int $3, int3, handler returns: ran %d times\n", traps);
        _exit(0);
    }
    report("int3 handled", child);

    blocked("blocked SIGSEGV", SIGSEGV, fault_unmapped, 0);
    blocked("ignored SIGSEGV", SIGSEGV, fault_write_read_only, 1);
    blocked("blocked SIGFPE", SIGFPE, divide_by_zero, 0);
    blocked("ignored SIGFPE", SIGFPE, divide_by_zero, 1);
    blocked("blocked SIGILL", SIGILL, invalid_opcode, 0);
    blocked("ignored SIGILL", SIGILL, invalid_opcode, 1);
    blocked("blocked SIGTRAP", SIGTRAP, breakpoint, 0);
    blocked("ignored SIGTRAP", SIGTRAP, breakpoint, 1);

    say("a SIGSEGV handler that faults:\n");
    child = fork();
    if (child == 0) {
        on(SIGSEGV, fault_again, 0);
        fault_unmapped();
        _exit(0);
    }
    report("  and", child);
    say("SA_RESETHAND on SIGILL:\n");
    child = fork();
    if (child == 0) {
        on(SIGILL, once, SA_RESETHAND);
        invalid_opcode();
        _exit(0);
    }
    report("  and", child);
    say("default SIGFPE:\n");
    if ((child = fork()) == 0) divide_by_zero();
    report("  and", child);

    alternate = malloc(alternate_size);
    alternate_stack_calls();

    on_alternate_stack("stack overflow, handler on the alternate stack", SIGSEGV, alternate, 0, SA_ONSTACK);
    on_alternate_stack("stack overflow, handler without SA_ONSTACK", SIGSEGV, alternate, 0, 0);
    on_alternate_stack("SIGUSR1 on the alternate stack, handler returns", SIGUSR1, alternate, 0, SA_ONSTACK);
    on_alternate_stack("SIGUSR1 with SS_AUTODISARM", SIGUSR1, alternate, SS_AUTODISARM, SA_ONSTACK);
    on_alternate_stack("SIGUSR1 on an unmapped alternate stack", SIGUSR1, (char *)0x10000, 0, SA_ONSTACK);
    on_alternate_stack("SIGUSR1 on an alternate stack in the kernel's half", SIGUSR1, (char *)0xFFFF800000100000UL, 0, SA_ONSTACK);

    say("SIGUSR1 on the alternate stack, the stack pointer at 0x10:\n");
    child = fork();
    if (child == 0) {
        stack_t s = { .ss_sp = alternate, .ss_size = alternate_size, .ss_flags = 0 };
        sigaltstack(&s, 0);
        on(SIGUSR1, on_alternate, SA_ONSTACK);
        kill_self_with_stack(0x10);
    }
    report("  and", child);

    stack_t s = { .ss_sp = alternate, .ss_size = alternate_size, .ss_flags = 0 };
    sigaltstack(&s, 0);
    child = fork();
    if (child == 0) {
        stack_t inherited;
        sigaltstack(0, &inherited);
        print_stack("forked child's alternate stack", &inherited);
        execl("/proc/self/exe", "linuxfaults", "after-exec", (char *)0);
        _exit(9);
    }
    report("fork and execve", child);
    restart_after_a_failed_frame();
    nested_task_flag_at_a_system_call();
    say("survived\n");
    return 0;
}
