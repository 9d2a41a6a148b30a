// select and pselect6 on pipes, fchdir, and alarm, through the raw system calls: the sets
// rewritten with only the ready bits and each bit counted, timeouts and the time left written
// back, a wait another process's write ends, a signal that ends a wait with EINTR, pselect6's
// mask for the call only, every refusal (EBADF, EINVAL, EFAULT); fchdir into a directory
// and its refusals; alarm's handler, its return value, alarm(0), its default action, fork
// clearing it and execve keeping it. Then a hostile part whose results are not printed: bad
// pointers, huge nfds, writers racing a select. Prints what it sees; Linux and Apus must
// print the same.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long select_call(long nfds, void *r, void *w, void *e, void *tv) {
    long result = syscall(SYS_select, nfds, r, w, e, tv);
    return result < 0 ? -errno : result;
}

static long pselect_call(long nfds, void *r, void *w, void *e, void *ts, void *pack) {
    long result = syscall(SYS_pselect6, nfds, r, w, e, ts, pack);
    return result < 0 ? -errno : result;
}

// The descriptors a set holds, by name: the pipe's read end (R), its write end (W), any
// other (?); descriptor numbers differ between systems, what they are does not.
static int reading_end = -1, writing_end = -1;

static const char *ends(fd_set *set) {
    static char text[4][8];
    static int next;
    char *out = text[next++ % 4];
    int length = 0;
    for (int fd = 0; fd < 64; fd++) {
        if (!FD_ISSET(fd, set)) continue;
        out[length++] = fd == reading_end ? 'R' : fd == writing_end ? 'W' : '?';
        if (length == 6) break;
    }
    if (length == 0) out[length++] = '-';
    out[length] = 0;
    return out;
}

static void show(const char *what, long result, fd_set *r, fd_set *w, fd_set *e) {
    printf("%s: %ld r %s w %s e %s\n", what, result, ends(r), ends(w), ends(e));
}

static void name_pipe(int p[2]) {
    reading_end = p[0];
    writing_end = p[1];
}

static void only(fd_set *set, int a, int b) {
    FD_ZERO(set);
    if (a >= 0) FD_SET(a, set);
    if (b >= 0) FD_SET(b, set);
}

static long milliseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void pause_ms(long ms) {
    struct timespec time = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&time, NULL);
}

static volatile int handled;
static void on_signal(int signal) { handled = signal; }

static void handle(int signal, int flags) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    action.sa_flags = flags;
    sigaction(signal, &action, NULL);
}

static void select_on_pipes(void) {
    int p[2];
    char byte = 'x';
    fd_set r, w, e;
    pipe(p);
    name_pipe(p);
    struct timeval zero = {0, 0};
    only(&r, p[0], p[1]); only(&w, p[0], p[1]); only(&e, p[0], p[1]);
    show("empty pipe, timeout 0", select_call(p[1] + 1, &r, &w, &e, &zero), &r, &w, &e);
    printf("timeout 0 left alone: %ld %ld\n", (long)zero.tv_sec, (long)zero.tv_usec);
    write(p[1], &byte, 1);
    only(&r, p[0], p[1]); only(&w, p[0], p[1]); only(&e, p[0], p[1]);
    show("a byte buffered, no timeout", select_call(p[1] + 1, &r, &w, &e, NULL), &r, &w, &e);
    only(&r, p[0], p[1]); only(&w, p[0], p[1]); FD_ZERO(&e);
    show("nfds past the table", select_call(1 << 20, &r, &w, &e, NULL), &r, &w, &e);
    only(&r, p[0], -1); only(&w, p[1], -1);
    show("nfds covers only the read end", select_call(p[0] + 1, &r, &w, NULL, NULL), &r, &w, &e);
    printf("the write end, past nfds in the same word, cleared: %s\n", FD_ISSET(p[1], &w) ? "no" : "yes");
    struct timeval five = {5, 0};
    only(&r, p[0], -1);
    select_call(p[0] + 1, &r, NULL, NULL, &five);
    printf("time left of 5 s: %ld s and some\n", (long)five.tv_sec);
    struct timeval carry = {0, 3900000};
    only(&r, p[0], -1);
    select_call(p[0] + 1, &r, NULL, NULL, &carry);
    printf("3,900,000 us carried: %ld s and some\n", (long)carry.tv_sec);
    read(p[0], &byte, 1);

    struct timeval fifty = {0, 50000};
    only(&r, p[0], -1);
    long start = milliseconds();
    show("50 ms on an empty pipe", select_call(p[0] + 1, &r, NULL, NULL, &fifty), &r, &w, &e);
    printf("waited at least 50 ms: %s, left %ld %ld\n", milliseconds() - start >= 50 ? "yes" : "no", (long)fifty.tv_sec, (long)fifty.tv_usec);
    struct timespec limit = {0, 20000000};
    only(&r, p[0], -1);
    long waited = pselect_call(p[0] + 1, &r, NULL, NULL, &limit, NULL);
    printf("pselect6 20 ms: %ld, left %ld %ld\n", waited, (long)limit.tv_sec, limit.tv_nsec);
    struct timeval ten = {0, 10000};
    printf("no descriptors, 10 ms: %ld\n", select_call(0, NULL, NULL, NULL, &ten));

    pid_t writer = fork();
    if (writer == 0) {
        pause_ms(30);
        write(p[1], &byte, 1);
        _exit(0);
    }
    only(&r, p[0], -1);
    show("another process writes", select_call(p[0] + 1, &r, NULL, NULL, NULL), &r, &w, &e);
    waitpid(writer, NULL, 0);
    read(p[0], &byte, 1);

    close(p[1]);
    only(&r, p[0], -1); only(&w, p[0], -1);
    show("no writer left", select_call(p[0] + 1, &r, &w, NULL, &zero), &r, &w, &e);
    close(p[0]);
    pipe(p);
    name_pipe(p);
    close(p[0]);
    only(&r, p[1], -1); only(&w, p[1], -1); only(&e, p[1], -1);
    show("no reader left", select_call(p[1] + 1, &r, &w, &e, &zero), &r, &w, &e);
    close(p[1]);
}

static void select_refusals(void) {
    int p[2];
    pipe(p);
    fd_set r, w;
    struct timeval zero = {0, 0}, three = {3, 0};
    only(&r, p[0], 40);
    fd_set saved = r;
    printf("closed descriptor: %ld\n", select_call(41, &r, NULL, NULL, &three));
    printf("set unchanged: %s; time left of 3 s written: %ld s and some\n", memcmp(&r, &saved, sizeof r) == 0 ? "yes" : "no",
           (long)three.tv_sec);
    printf("closed in the write set: %ld\n", select_call(41, NULL, &r, NULL, &zero));
    printf("closed in the exceptional set: %ld\n", select_call(41, NULL, NULL, &r, &zero));
    printf("negative nfds: %ld\n", select_call(-1, NULL, NULL, NULL, &zero));
    printf("bad read set: %ld\n", select_call(3, (void *)16, NULL, NULL, &zero));
    printf("bad timeval: %ld\n", select_call(3, NULL, NULL, NULL, (void *)16));
    struct timeval negative = {0, -1};
    printf("negative microseconds: %ld\n", select_call(0, NULL, NULL, NULL, &negative));
    negative.tv_sec = -1; negative.tv_usec = 0;
    printf("negative seconds: %ld\n", select_call(0, NULL, NULL, NULL, &negative));
    struct timespec over = {0, 1000000000}, under = {-1, 0}, none = {0, 0};
    printf("pselect6 nanoseconds of a second: %ld\n", pselect_call(0, NULL, NULL, NULL, &over, NULL));
    printf("pselect6 negative seconds: %ld\n", pselect_call(0, NULL, NULL, NULL, &under, NULL));
    printf("pselect6 bad timespec: %ld\n", pselect_call(0, NULL, NULL, NULL, (void *)16, NULL));
    printf("pselect6 bad mask pack: %ld\n", pselect_call(0, NULL, NULL, NULL, &none, (void *)16));
    sigset_t empty;
    sigemptyset(&empty);
    struct { void *mask; size_t size; } pack = {&empty, 4};
    printf("pselect6 sigsetsize 4: %ld\n", pselect_call(0, NULL, NULL, NULL, &none, &pack));
    pack.mask = (void *)16; pack.size = 8;
    printf("pselect6 bad mask: %ld\n", pselect_call(0, NULL, NULL, NULL, &none, &pack));
    pack.mask = NULL; pack.size = 4;
    printf("pselect6 null mask, any size: %ld\n", pselect_call(0, NULL, NULL, NULL, &none, &pack));
    fd_set *readOnly = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("read-only set: %ld\n", select_call(3, readOnly, NULL, NULL, &zero));
    only(&w, 1, -1);
    printf("read-only timeval is no error: %ld\n", select_call(2, NULL, &w, NULL, (struct timeval *)readOnly));
    munmap(readOnly, 4096);
    close(p[0]);
    close(p[1]);
}

static void select_and_signals(void) {
    int p[2];
    pipe(p);
    fd_set r;
    handle(SIGUSR1, SA_RESTART);
    pid_t sender = fork();
    if (sender == 0) {
        pause_ms(30);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    only(&r, p[0], -1);
    handled = 0;
    long interrupted = select_call(p[0] + 1, &r, NULL, NULL, NULL);
    printf("a signal with SA_RESTART: %ld handled %d, set kept: %s\n", interrupted, handled, FD_ISSET(p[0], &r) ? "yes" : "no");
    waitpid(sender, NULL, 0);

    sigset_t blocked, empty, now;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    kill(getpid(), SIGUSR1);
    handled = 0;
    struct { void *mask; size_t size; } keep = {&blocked, 8}, open = {&empty, 8};
    struct timespec limit = {0, 20000000};
    only(&r, p[0], -1);
    long result = pselect_call(p[0] + 1, &r, NULL, NULL, &limit, &keep);
    printf("pselect6 keeping SIGUSR1 blocked: %ld handled %d\n", result, handled);
    only(&r, p[0], -1);
    result = pselect_call(p[0] + 1, &r, NULL, NULL, NULL, &open);
    printf("pselect6 unblocking SIGUSR1: %ld handled %d\n", result, handled);
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("SIGUSR1 blocked again after: %s\n", sigismember(&now, SIGUSR1) ? "yes" : "no");
    kill(getpid(), SIGUSR1);
    handled = 0;
    struct timespec none = {0, 0};
    result = pselect_call(0, NULL, NULL, NULL, &none, &open);
    printf("pselect6 timeout 0 unblocking SIGUSR1: %ld handled %d\n", result, handled);
    sigprocmask(SIG_UNBLOCK, &blocked, NULL);
    close(p[0]);
    close(p[1]);
}

static void change_directory(void) {
    char start[PATH_MAX], now[PATH_MAX], wanted[PATH_MAX + 32];
    getcwd(start, sizeof start);
    mkdir("fchdir-test", 0755);
    mkdir("fchdir-test/inner", 0755);
    int directory = open("fchdir-test/inner", O_RDONLY | O_DIRECTORY);
    int home = open(".", O_RDONLY | O_DIRECTORY);
    int file = open("fchdir-test/file", O_CREAT | O_WRONLY, 0644);
    long result = syscall(SYS_fchdir, directory);
    getcwd(now, sizeof now);
    snprintf(wanted, sizeof wanted, "%s/fchdir-test/inner", strcmp(start, "/") == 0 ? "" : start);
    printf("fchdir into a directory: %ld, getcwd names it: %s\n", result, strcmp(now, wanted) == 0 ? "yes" : "no");
    printf("relative paths start there: %s\n", access("../file", F_OK) == 0 ? "yes" : "no");
    close(directory);
    printf("fchdir to a file: %ld\n", syscall(SYS_fchdir, file) < 0 ? -errno : 0L);
    printf("fchdir to a closed descriptor: %ld\n", syscall(SYS_fchdir, 99) < 0 ? -errno : 0L);
    printf("fchdir to AT_FDCWD: %ld\n", syscall(SYS_fchdir, AT_FDCWD) < 0 ? -errno : 0L);
    printf("fchdir back: %ld\n", syscall(SYS_fchdir, home));
    getcwd(now, sizeof now);
    printf("back where it started: %s\n", strcmp(now, start) == 0 ? "yes" : "no");
    close(home);
    close(file);
    unlink("fchdir-test/file");
    rmdir("fchdir-test/inner");
    rmdir("fchdir-test");
}

static void alarms(char *self) {
    printf("alarm(10) with none set: %u\n", alarm(10));
    printf("alarm(5) at once: %u\n", alarm(5));
    pid_t child = fork();
    if (child == 0) {
        printf("the child of fork has no alarm: %u\n", alarm(0));
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    child = fork();
    if (child == 0) {
        alarm(7);
        char *argv[] = {self, "after-execve", NULL};
        execv("/proc/self/exe", argv);
        _exit(1);
    }
    waitpid(child, NULL, 0);
    unsigned left = alarm(0);
    printf("alarm(0) of the alarm of 5 s: %s\n", left >= 1 && left <= 5 ? "yes" : "no");
    printf("alarm(0) again: %u\n", alarm(0));

    handle(SIGALRM, SA_RESTART);
    handled = 0;
    alarm(1);
    alarm(0);
    pause_ms(1200);
    printf("a cancelled alarm rings not: handled %d\n", handled);

    int p[2];
    pipe(p);
    fd_set r;
    only(&r, p[0], -1);
    printf("alarm(1): %u\n", alarm(1));
    long start = milliseconds();
    long result = select_call(p[0] + 1, &r, NULL, NULL, NULL);
    long waited = milliseconds() - start;
    printf("select ended by SIGALRM: %ld handled %d after a second or more: %s\n", result, handled, waited >= 900 ? "yes" : "no");
    printf("the alarm rang and is gone: %u\n", alarm(0));
    close(p[0]);
    close(p[1]);

    child = fork();
    if (child == 0) {
        signal(SIGALRM, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        alarm(1);
        for (;;) sigsuspend(&none);
    }
    int status;
    waitpid(child, &status, 0);
    printf("default action: signalled %d by %d\n", WIFSIGNALED(status), WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    signal(SIGALRM, SIG_DFL);
}

static void hostile(void) {
    fd_set r;
    struct timeval zero = {0, 0};
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(page, 0xff, 4096);
    for (long nfds = 1; nfds < (1L << 40); nfds = nfds * 7 + 1) {
        select_call(nfds, page + 4096 - 8, NULL, NULL, &zero);
        select_call(nfds, page, page, page, &zero);
        pselect_call(nfds, (void *)-1L, (void *)0x7ffffffff000, page + 4090, page + 4088, page + 4080);
    }
    munmap(page, 4096);
    select_call(INT_MAX, (void *)-4096L, NULL, NULL, &zero);
    select_call(64, NULL, NULL, NULL, (void *)0xffff800000000000);
    pselect_call(64, NULL, NULL, NULL, NULL, (void *)0xffff800000000000);

    int p[2];
    pipe(p);
    enum { writers = 4, bytes = 64 };
    for (int i = 0; i < writers; i++) {
        if (fork() == 0) {
            for (int j = 0; j < bytes; j++) {
                write(p[1], "w", 1);
                if (j % 16 == 0) sched_yield();
            }
            _exit(0);
        }
    }
    close(p[1]);
    long total = 0;
    for (;;) {
        only(&r, p[0], -1);
        if (select_call(p[0] + 1, &r, NULL, NULL, NULL) != 1) break;
        char buffer[32];
        long got = read(p[0], buffer, sizeof buffer);
        if (got <= 0) break;
        total += got;
    }
    while (wait(NULL) > 0) {}
    close(p[0]);
    printf("racing writers: %ld bytes\n", total);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0); // each line out before a fork
    if (argc > 1 && strcmp(argv[1], "after-execve") == 0) {
        unsigned left = alarm(0);
        printf("execve keeps the alarm of 7 s: %s\n", left >= 1 && left <= 7 ? "yes" : "no");
        return 0;
    }
    select_on_pipes();
    select_refusals();
    select_and_signals();
    change_directory();
    alarms(argv[0]);
    hostile();
    printf("survived\n");
    return 0;
}
