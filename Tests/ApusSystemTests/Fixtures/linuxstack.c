// Deep recursion in a Linux program: the stack grows down page by page as the program
// touches it, up to its 8 MiB limit (RLIMIT_STACK), and the first touch past the limit kills
// the program with SIGSEGV, as on Linux; the parent, and the kernel, go on. A child recurses
// with 4 KiB frames and sends the parent, every 64 frames, how far its stack has grown; the
// parent prints how the child ended and whether the last depth it heard of lies between
// 7 and 8 MiB. Twice, to show that the first stack came back whole. Then "survived".
// Built by the system tests with this host's `cc -static`, and run here and on Apus.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int report;
static char *top;

static int recurse(int depth) {
    volatile char frame[4000];
    frame[0] = (char)depth;
    if (depth % 64 == 0) {
        long grown = top - (char *)frame;
        write(report, &grown, sizeof grown);
    }
    return recurse(depth + 1) + frame[0];
}

static void overflow(int round) {
    int fds[2];
    pipe(fds);
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        report = fds[1];
        // The host's limit may be larger (or none): the child takes Linux's default.
        struct rlimit limit = {8 << 20, 8 << 20};
        setrlimit(RLIMIT_STACK, &limit);
        char here;
        top = &here;
        recurse(1);
        _exit(0);
    }
    close(fds[1]);
    long grown = 0, heard;
    while (read(fds[0], &heard, sizeof heard) == sizeof heard) grown = heard;
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) printf("recursion %d: killed by SIG%s", round, sigabbrev_np(WTERMSIG(status)));
    else printf("recursion %d: exit %d", round, WEXITSTATUS(status));
    printf(", its stack grew to between 7 and 8 MiB: %s\n", grown >= (7L << 20) && grown < (8L << 20) ? "yes" : "no");
    fflush(stdout);
}

int main(void) {
    overflow(1);
    overflow(2);
    printf("survived\n");
    return 0;
}
