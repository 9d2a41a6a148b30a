/* tlbshootdown: no access reaches a page's old frame once the call that took the page
 * returned (ABI.md §8), while another thread of the process (on another CPU, with several)
 * has the page's translation in its TLB.
 *
 * A toucher thread reads and writes page X in a loop. Each round the main thread, between
 * the toucher's loops, takes X away and checks that the toucher's next accesses do not
 * reach X's old frame:
 *
 * - unmap and remap: the main thread unmaps X, maps a decoy page and touches it (the
 *   frame X had is the last one freed, so the decoy most likely gets it: getphys says
 *   whether it did),
 *   fills the decoy with OLD_FRAME, maps X again and fills it with the round's pattern.
 *   The toucher, let loose again, must read the new pattern (never OLD_FRAME: that would be
 *   a stale translation to the old frame) and its write must land in the new X, not in
 *   the decoy.
 * - fork: the main thread forks while the toucher keeps writing X; the child reads X twice
 *   with time between. The parent's writes after fork returned go to its copy (its page is
 *   copy-on-write): the child's X never changes.
 *
 * Prints the rounds, how many reused the old frame for the decoy, and exits 0 when no
 * access reached an old frame. */
#include <mman.h>
#include <stdio.h>
#include <syscall.h>
#include <thread.h>

#define ROUNDS 100
#define FORKS 20
#define PAGE 4096
#define X ((volatile long *)0x30000000)
/* In X's page table, which a page mapped beside them for the whole run keeps: so freeing X
 * frees no table, and the decoy's first touch takes the frame X just gave back. */
#define KEEPER ((volatile long *)0x30001000)
#define DECOY ((volatile long *)0x30002000)
#define OLD_FRAME 0x0DDF0DDF0DDF0DDFL
#define MARK 0x70C4E4L

static char stack[STACK_SIZE] __attribute__((aligned(16)));
/* The toucher's orders and answers: it touches X while `go` is ahead of `done`. */
static volatile long go, done, stop, seen, stale;
static volatile long spinning;

static int toucher(void *unused) {
    (void)unused;
    long round = 0;
    while (!stop) {
        if (go == round) { spinning = 1; continue; }
        round = go;
        /* Several touches: the translation is in the TLB and used. */
        for (int i = 0; i < 1000; i++) {
            long value = X[0];
            if (value == OLD_FRAME) stale++;
            seen = value;
            X[1] = MARK + round;
        }
        done = round;
    }
    exit(0);
}

static void touch_round(long round) {
    go = round;
    while (done != round) { }
}

int main(void) {
    if (mmap((void *)X, PAGE, PROT_READ | PROT_WRITE, -1, 0) != (void *)X) { printf("mmap failed\n"); return 1; }
    if (mmap((void *)KEEPER, PAGE, PROT_READ | PROT_WRITE, -1, 0) != (void *)KEEPER) { printf("mmap failed\n"); return 1; }
    X[0] = 1;
    KEEPER[0] = 1;
    int tid = thread_create("toucher", stack + STACK_SIZE, toucher, 0);
    if (tid < 0) { printf("thread_create failed: %d\n", tid); return 1; }
    long reused = 0, wrong = 0;
    for (long round = 1; round <= ROUNDS; round++) {
        touch_round(2 * round - 1);
        long old = getphys((void *)X, 0);
        if (munmap((void *)X) != 0) { printf("munmap failed\n"); return 1; }
        if (mmap((void *)DECOY, PAGE, PROT_READ | PROT_WRITE, -1, 0) != (void *)DECOY) { printf("mmap failed\n"); return 1; }
        for (int i = 0; i < PAGE / 8; i++) DECOY[i] = OLD_FRAME;
        if (getphys((void *)DECOY, 0) == old) reused++;
        if (mmap((void *)X, PAGE, PROT_READ | PROT_WRITE, -1, 0) != (void *)X) { printf("mmap failed\n"); return 1; }
        X[0] = round;
        touch_round(2 * round);
        if (seen != round) wrong++;
        for (int i = 0; i < PAGE / 8; i++) if (DECOY[i] != OLD_FRAME) wrong++;
        if (munmap((void *)DECOY) != 0) { printf("munmap failed\n"); return 1; }
    }
    /* Fork while the toucher writes X without pause. */
    long forked_wrong = 0;
    for (long round = 0; round < FORKS; round++) {
        int fds[2];
        if (pipe(fds) != 0) { printf("pipe failed\n"); return 1; }
        go = 1000000 + round; /* the toucher loops over X until done catches up */
        int child = fork();
        if (child == 0) {
            long first = X[1];
            for (volatile int i = 0; i < 200000; i++) { }
            long second = X[1];
            char verdict = first == second ? 'y' : 'n';
            write(fds[1], &verdict, 1);
            exit(0);
        }
        if (child < 0) { printf("fork failed: %d\n", child); return 1; }
        char verdict = 0;
        if (read(fds[0], &verdict, 1) != 1 || verdict != 'y') forked_wrong++;
        while (done != go) { }
        close(fds[0]);
        close(fds[1]);
    }
    stop = 1;
    thread_join(tid, 0);
    printf("%d rounds of unmap and remap (the decoy got the old frame in %ld), %d forks: ", ROUNDS, reused, FORKS);
    if (wrong == 0 && stale == 0 && forked_wrong == 0) {
        printf("no access reached an old frame\n");
        return 0;
    }
    printf("FAILED: %ld wrong reads or writes, %ld stale reads, %ld children saw the parent's writes\n", wrong, stale, forked_wrong);
    return 1;
}
