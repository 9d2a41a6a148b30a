/* mmshared: threads sharing one address space, each mapping, touching and unmapping memory
 * while the others read what it wrote (KeOS's thread_mm_shared, grown): four threads, ROUNDS
 * rounds each. In a round a thread maps PAGES pages at its own address, writes its number
 * and the round into every page, publishes the region, reads every page another thread has
 * published (which must hold that thread's words), then unmaps its region. A shared page
 * counts the pages read. Prints what it checked and the ticks it took; exit status 0 when
 * every page held what it should. */
#include <mman.h>
#include <stdio.h>
#include <syscall.h>
#include <thread.h>
#include <ticks.h>

#define WORKERS 4
#define ROUNDS 40
#define PAGES 32
#define PAGE 4096
#define REGION(worker) ((char *)0x20000000 + (long)(worker) * 0x1000000)

static char stacks[WORKERS][STACK_SIZE] __attribute__((aligned(16)));
/* Per worker: the round whose region is published (0: none). Written by the owner only. */
static volatile long published[WORKERS];
/* Per worker: how many others are reading its region now (it unmaps only at 0). */
static long reading[WORKERS];
static volatile long checked[WORKERS];
static volatile long wrong[WORKERS];

static int work(void *argument) {
    long me = (long)argument;
    for (long round = 1; round <= ROUNDS; round++) {
        char *region = REGION(me);
        if (mmap(region, PAGES * PAGE, PROT_READ | PROT_WRITE, -1, 0) != region) exit(100);
        for (int page = 0; page < PAGES; page++) {
            volatile long *words = (volatile long *)(region + page * PAGE);
            words[0] = me;
            words[1] = round;
        }
        published[me] = round;
        for (long other = 0; other < WORKERS; other++) {
            if (other == me) continue;
            /* Announce the read, then check the region is still up: its owner unmaps only
             * once no one reads. */
            __atomic_fetch_add(&reading[other], 1, __ATOMIC_SEQ_CST);
            long seen = published[other];
            if (seen > 0) {
                volatile long *words = (volatile long *)REGION(other);
                for (int page = 0; page < PAGES; page++) {
                    if (words[page * PAGE / 8] != other || words[page * PAGE / 8 + 1] != seen) wrong[me]++;
                    checked[me]++;
                }
            }
            __atomic_fetch_sub(&reading[other], 1, __ATOMIC_SEQ_CST);
        }
        published[me] = -round;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        while (__atomic_load_n(&reading[me], __ATOMIC_SEQ_CST) != 0) { }
        if (munmap(region) != 0) exit(101);
    }
    exit(0);
}

int main(void) {
    unsigned long start = ticks();
    int tids[WORKERS];
    for (long i = 0; i < WORKERS; i++) {
        tids[i] = thread_create("mm", stacks[i] + STACK_SIZE, work, (void *)i);
        if (tids[i] < 0) { printf("thread_create failed: %d\n", tids[i]); return 1; }
    }
    int failures = 0;
    for (int i = 0; i < WORKERS; i++) {
        int status = 0;
        if (thread_join(tids[i], &status) < 0 || status != 0) failures++;
    }
    unsigned long elapsed = ticks() - start;
    long total = 0, bad = 0;
    for (int i = 0; i < WORKERS; i++) { total += checked[i]; bad += wrong[i]; }
    printf("%d threads mapped, touched and unmapped %d pages %d times each: %s\n", WORKERS, PAGES, ROUNDS,
           failures == 0 && bad == 0 ? "every page held its owner's words" : "FAILED");
    printf("ticks: %lu (pages read across threads: %ld)\n", elapsed, total);
    return failures == 0 && bad == 0 ? 0 : 1;
}
