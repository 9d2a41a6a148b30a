// Signals for a program that makes no system call: children that spin are killed by
// SIGKILL and SIGTERM, stopped and continued (wait4 and SIGCHLD report both, unless
// SA_NOCLDSTOP), and one runs a handler in the middle of its loop and finds every register
// as it was (rcx and r11 too, which a system call would have lost). Each line it prints is
// a fact; built by the system tests with this host's `cc -static`, and run here and on Apus.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
static volatile sig_atomic_t child_codes[16];
static volatile sig_atomic_t child_code_count;

static void on_child(int signal, siginfo_t *info, void *context) {
    (void)signal;
    (void)context;
    if (child_code_count < 16) child_codes[child_code_count++] = info->si_code;
}

static void on_user1(int signal) {
    (void)signal;
    handled = 1;
}

// A child that spins without a system call until a signal ends it.
static pid_t spinner(void) {
    pid_t pid = fork();
    if (pid == 0)
        for (;;) __asm__ volatile("" ::: "memory");
    return pid;
}

// Spins with known values in rcx and r11 until the handler sets `handled`; 0 when they
// stayed, 1 when either changed.
static int spin_keeping_rcx_and_r11(void) {
    int changed;
    __asm__ volatile(
        "movq $0x1234567, %%rcx\n"
        "movq $0x7654321, %%r11\n"
        "xorl %0, %0\n"
        "1: cmpq $0x1234567, %%rcx\n"
        "jne 2f\n"
        "cmpq $0x7654321, %%r11\n"
        "jne 2f\n"
        "cmpl $0, %1\n"
        "je 1b\n"
        "jmp 3f\n"
        "2: movl $1, %0\n"
        "3:\n"
        : "=&r"(changed)
        : "m"(handled)
        : "rcx", "r11", "cc", "memory");
    return changed;
}

// Lets a child run into its loop.
static void pause_briefly(void) {
    struct timespec time = {0, 100 * 1000 * 1000};
    nanosleep(&time, NULL);
}

static void report(const char *what, pid_t pid, int options) {
    int status;
    pid_t got = waitpid(pid, &status, options);
    if (got != pid)
        printf("%s: waitpid gave %d\n", what, (int)got);
    else if (WIFEXITED(status))
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: killed by %d\n", what, WTERMSIG(status));
    else if (WIFSTOPPED(status))
        printf("%s: stopped by %d\n", what, WSTOPSIG(status));
    else if (WIFCONTINUED(status))
        printf("%s: continued\n", what);
}

// Stops, continues and kills a spinning child with `flags` on the SIGCHLD handler, and
// prints the si_codes SIGCHLD brought.
static void stop_and_continue(int flags) {
    struct sigaction action = {0};
    action.sa_sigaction = on_child;
    action.sa_flags = SA_SIGINFO | SA_RESTART | flags;
    sigaction(SIGCHLD, &action, NULL);
    child_code_count = 0;
    pid_t pid = spinner();
    pause_briefly();
    kill(pid, SIGSTOP);
    report("SIGSTOP", pid, WUNTRACED);
    kill(pid, SIGCONT);
    report("SIGCONT", pid, WCONTINUED);
    pause_briefly(); // Linux tells of the continue as the child runs again
    kill(pid, SIGKILL);
    report("SIGKILL after", pid, 0);
    printf("SIGCHLD codes%s:", flags ? " with SA_NOCLDSTOP" : "");
    for (int i = 0; i < child_code_count; i++) printf(" %d", (int)child_codes[i]);
    printf("\n");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t pid = spinner();
    pause_briefly();
    kill(pid, SIGKILL);
    report("SIGKILL", pid, 0);
    pid = spinner();
    pause_briefly();
    kill(pid, SIGTERM);
    report("SIGTERM", pid, 0);
    stop_and_continue(0);
    stop_and_continue(SA_NOCLDSTOP);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGUSR1, on_user1);
    pid = fork();
    if (pid == 0) exit(spin_keeping_rcx_and_r11() ? 1 : 7);
    pause_briefly();
    kill(pid, SIGUSR1);
    report("a handler in the loop, rcx and r11 kept", pid, 0);
    printf("survived\n");
    return 0;
}
