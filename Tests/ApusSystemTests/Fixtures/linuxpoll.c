// poll and ppoll on a pipe from both sides: bytes buffered (POLLIN), room (POLLOUT), the
// writers gone (POLLHUP), the readers gone (POLLERR); a timeout of 0 and of 50 ms; a wait
// another process's write ends; a signal that ends a wait with EINTR even with SA_RESTART;
// ppoll's mask for the call only; a closed descriptor (POLLNVAL), a negative one, a bad
// pointer (EFAULT) and too many entries (EINVAL). Prints what it sees; Linux and Apus must
// print the same.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long poll_call(struct pollfd *fds, unsigned long count, int timeout) {
    long result = syscall(SYS_poll, fds, count, timeout);
    return result < 0 ? -errno : result;
}

static void show(const char *what, long result, struct pollfd *fds, int count) {
    printf("%s: %ld", what, result);
    for (int i = 0; i < count; i++) printf(" %#x", fds[i].revents);
    printf("\n");
    fflush(stdout);
}

static long milliseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void pause_ms(long ms) {
    struct timespec time = {0, ms * 1000000};
    nanosleep(&time, NULL);
}

static volatile int handled;
static void on_usr1(int signal) { handled = signal; }

int main(void) {
    int p[2];
    char byte = 'x';
    pipe(p);
    struct pollfd both[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT | POLLIN, 0}};
    show("empty pipe, timeout 0", poll_call(both, 2, 0), both, 2);
    write(p[1], &byte, 1);
    show("a byte buffered", poll_call(both, 2, -1), both, 2);
    read(p[0], &byte, 1);

    struct pollfd reader = {p[0], POLLIN | POLLRDNORM, 0};
    long start = milliseconds();
    show("50 ms on an empty pipe", poll_call(&reader, 1, 50), &reader, 1);
    printf("waited at least 50 ms: %s\n", milliseconds() - start >= 50 ? "yes" : "no");

    pid_t writer = fork();
    if (writer == 0) {
        pause_ms(30);
        write(p[1], &byte, 1);
        _exit(0);
    }
    show("another process writes", poll_call(&reader, 1, -1), &reader, 1);
    waitpid(writer, NULL, 0);
    read(p[0], &byte, 1);

    close(p[1]);
    show("no writer left", poll_call(&reader, 1, 0), &reader, 1);
    reader.events = 0;
    show("no writer left, nothing asked", poll_call(&reader, 1, 0), &reader, 1);
    close(p[0]);

    pipe(p);
    close(p[0]);
    struct pollfd lone = {p[1], POLLOUT, 0};
    show("no reader left", poll_call(&lone, 1, 0), &lone, 1);
    close(p[1]);

    struct pollfd odd[3] = {{-1, POLLIN, 0}, {p[1], POLLIN, 0}, {1, 0, 0}};
    show("negative, closed, nothing asked", poll_call(odd, 3, 0), odd, 3);
    printf("bad pointer: %ld\n", poll_call((struct pollfd *)16, 1, 0));
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    printf("one past RLIMIT_NOFILE: %s\n", poll_call(odd, limit.rlim_cur + 1, 0) == -EINVAL ? "EINVAL" : "other");
    printf("no entries, 10 ms: %ld\n", poll_call(NULL, 0, 10));

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_usr1;
    action.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &action, NULL);
    pipe(p);
    reader.fd = p[0];
    reader.events = POLLIN;
    pid_t sender = fork();
    if (sender == 0) {
        pause_ms(30);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    show("a signal with SA_RESTART", poll_call(&reader, 1, -1), &reader, 1);
    printf("handled %d\n", handled);
    waitpid(sender, NULL, 0);

    sigset_t blocked, empty, now;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    kill(getpid(), SIGUSR1);
    handled = 0;
    struct timespec limit20 = {0, 20000000};
    long result = syscall(SYS_ppoll, &reader, 1, &limit20, &blocked, 8);
    printf("ppoll keeping SIGUSR1 blocked: %ld handled %d\n", result, handled);
    result = syscall(SYS_ppoll, &reader, 1, NULL, &empty, 8);
    printf("ppoll unblocking SIGUSR1: %ld errno %s handled %d\n", result, result < 0 && errno == EINTR ? "EINTR" : "other", handled);
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("SIGUSR1 blocked again after: %s\n", sigismember(&now, SIGUSR1) ? "yes" : "no");
    printf("ppoll bad sigsetsize: %s\n", syscall(SYS_ppoll, &reader, 1, &limit20, &empty, 4) < 0 && errno == EINVAL ? "EINVAL" : "other");
    printf("survived\n");
    return 0;
}
