// Signals as a program meets them, and as a hostile one abuses them: a handler runs and
// returns through rt_sigreturn with every register back; a handler due while the stack
// pointer is unmapped or in the kernel's half kills the process with SIGSEGV; forged
// rt_sigreturn frames (a kernel rip, bad selectors and flags, a garbage MXCSR) change
// nothing of the kernel's. Each case runs in a child; the parent prints how it ended.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int handled;
static void on_usr1(int signal) { handled = signal; }

static void report(const char *name, pid_t child) {
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) printf("%s: killed by signal %d\n", name, WTERMSIG(status));
    else printf("%s: exit %d\n", name, WEXITSTATUS(status));
    fflush(stdout);
}

// kill(getpid(), SIGUSR1) with rsp = `stack` (a handler is due on the way back).
static void kill_self_with_stack(unsigned long stack) {
    long pid = getpid();
    __asm__ volatile("mov %0, %%rsp\n\tsyscall\n\tud2" : : "r"(stack), "a"(62L), "D"(pid), "S"((long)SIGUSR1) : "memory");
}

// rt_sigreturn with the frame at `frame` (rsp 8 above it, as after the handler's ret).
static void sigreturn_from(unsigned char *frame) {
    __asm__ volatile("lea 8(%0), %%rsp\n\tmov $15, %%eax\n\tsyscall\n\tud2" : : "r"(frame) : "memory");
}

static unsigned char frame[1024] __attribute__((aligned(64)));
static unsigned char fpu[512] __attribute__((aligned(64)));
static unsigned char stack[16384] __attribute__((aligned(16)));
enum { mcontext = 48, reg_rsp = mcontext + 15 * 8, reg_rip = mcontext + 16 * 8, reg_flags = mcontext + 17 * 8,
       selectors = mcontext + 18 * 8, fpstate = mcontext + 23 * 8 };

static void put(int offset, unsigned long value) { memcpy(frame + offset, &value, 8); }

static void landed(void) {
    write(1, "", 0);
    _exit(7);
}

int main(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_usr1;
    sigaction(SIGUSR1, &action, 0);

    // A handler runs and the interrupted code goes on with its registers.
    long before = 0x1234567887654321L;
    register long kept __asm__("r12") = before;
    kill(getpid(), SIGUSR1);
    __asm__ volatile("" : "+r"(kept));
    printf("handler ran: %d, r12 kept: %d\n", handled, kept == before);

    // A blocked signal waits; unblocked, it is delivered.
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    handled = 0;
    sigprocmask(SIG_BLOCK, &set, &old);
    kill(getpid(), SIGUSR1);
    printf("blocked: %d\n", handled);
    sigprocmask(SIG_SETMASK, &old, 0);
    printf("unblocked: %d\n", handled);
    fflush(stdout);

    pid_t child;
    int status = 0;
    if ((child = fork()) == 0) kill_self_with_stack(0x10000); // unmapped
    report("handler on an unmapped stack", child);
    if ((child = fork()) == 0) kill_self_with_stack(0xFFFF800000100000UL); // the kernel's half
    report("handler on a kernel stack", child);
    if ((child = fork()) == 0) kill_self_with_stack(0x800000000000UL); // non-canonical
    report("handler on a non-canonical stack", child);

    if ((child = fork()) == 0) {
        put(reg_rip, 0xFFFF800000100000UL);
        put(reg_rsp, (unsigned long)(stack + sizeof stack - 8));
        sigreturn_from(frame);
    }
    report("rt_sigreturn to a kernel rip", child);
    if ((child = fork()) == 0) {
        put(reg_rip, 0x800000000000UL);
        put(reg_rsp, (unsigned long)(stack + sizeof stack - 8));
        sigreturn_from(frame);
    }
    report("rt_sigreturn to a non-canonical rip", child);
    if ((child = fork()) == 0) {
        put(reg_rip, (unsigned long)landed);
        put(reg_rsp, (unsigned long)(stack + sizeof stack - 8));
        put(reg_flags, 0x47202); // IOPL 3, NT and AC asked for
        put(selectors, 0x002b000000000033UL); // Linux's user selectors
        sigreturn_from(frame);
    }
    report("rt_sigreturn with IOPL 3", child);
    if ((child = fork()) == 0) {
        put(reg_rip, (unsigned long)landed);
        put(reg_rsp, (unsigned long)(stack + sizeof stack - 8));
        put(selectors, 0x0010000000000008UL); // cs 0x08 and ss 0x10: the kernel's
        sigreturn_from(frame);
    }
    waitpid(child, &status, 0); // Linux faults on the selector (SIGSEGV), Apus loads its own: either way it ends
    printf("rt_sigreturn with kernel selectors: ended\n");
    if ((child = fork()) == 0) {
        put(reg_rip, (unsigned long)landed);
        put(reg_rsp, (unsigned long)(stack + sizeof stack - 8));
        unsigned int mxcsr = 0xFFFFFFFF;
        unsigned short fcw = 0x37F;
        memcpy(fpu, &fcw, 2);
        memcpy(fpu + 24, &mxcsr, 4);
        put(fpstate, (unsigned long)fpu);
        sigreturn_from(frame);
    }
    waitpid(child, &status, 0); // Linux refuses the frame (SIGSEGV), Apus cleans MXCSR: either way it ends
    printf("rt_sigreturn with a garbage MXCSR: ended\n");
    if ((child = fork()) == 0) {
        put(reg_rip, (unsigned long)landed);
        put(reg_rsp, (unsigned long)(stack + sizeof stack - 8));
        put(fpstate, 0xFFFF800000100000UL);
        sigreturn_from(frame);
    }
    report("rt_sigreturn with a kernel fpstate", child);
    printf("survived\n");
    return 0;
}
