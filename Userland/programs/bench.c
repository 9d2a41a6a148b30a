/* bench: what the kernel's common operations cost, measured from inside the machine, the
 * program behind `apus bench`.
 *
 * Each row times one operation with the time-stamp counter (`lfence; rdtsc`) and prints the
 * median, the fastest and the slowest of its samples, in ticks. A sample times a small batch
 * (16 calls) when one call is short, so that reading the counter is not what is measured;
 * rows "per page" divide the time of a whole mapping by its pages. The host tool turns ticks
 * into time (it calibrates the counter against its own clock between the first and the last
 * line) and puts the rows side by side with Linux.
 *
 * The same source runs on Linux: `apus bench --linux` builds it with `Userland/linux/` (the
 * KeOS calls over Linux's system calls) as the `/init` of an initramfs. The only difference
 * the program sees is in `map` and `unmap` below: Linux's `munmap` wants the length, and
 * Linux fills the pages of a mapping when it is made only when asked (`MAP_POPULATE`), where
 * Apus does so when its pager is eager (a choice of the boot, `apus run --pager eager`).
 *
 * Arguments say which rows to measure: `lazy` (every row but the eager ones and the file
 * ones; the default), `eager` (populate and munmap per page: run it with the eager pager),
 * `files` (the file system's rows, below), `busybox` (busybox started and a busybox shell
 * loop, below: the Linux build only, which Apus runs as a Linux program), any of them
 * together, and `short` (a few samples of small sizes, for the tests, which check the format
 * and never a number).
 *
 * The file rows work in the current directory, which must be on a disk holding the data files
 * `bench-data/seq-1` … `seq-N` (64 MiB each; 1 MiB and N = 2 in short mode) that the tool puts
 * there: on Apus, the root of the run's disk; on Linux, an ext4 disk this program mounts
 * itself when it is the machine's `/init` (Userland/linux/machine.c). A cold read reads a file
 * nothing has read since the machine started: on Apus each data file once per boot, on Linux
 * after dropping the kernel's caches (`sync`, then /proc/sys/vm/drop_caches). Everything else
 * the rows make goes into `bench-work`, removed at the end.
 *
 * Output, one line each, every number in ticks:
 *   bench start TICKS          the counter at the program's first line (QEMU starts it at 0
 *                              when the machine starts, so it is the boot's duration)
 *   bench row NAME SAMPLES MEDIAN MIN MAX LABEL   (LABEL: the rest of the line, for people)
 *   bench end TICKS            the counter at the last line */
#include <dirent.h>
#include <fcntl.h>
#include <mman.h>
#include <stat.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include <thread.h>
#ifdef __linux__
#include <linux_machine.h>
#include <linux_process.h>
#endif

#define PAGE_SIZE 4096ul
#define MIB (1ul << 20)
/* Calls per sample for the rows whose one call is short. */
#define BATCH 16
/* The most samples a row takes. */
#define MAX_SAMPLES 256
/* A system call number that neither Apus nor Linux knows: both answer NoSuchSyscall (−38)
 * after the whole entry and exit path, which is what a null system call measures. */
#define NULL_SYSCALL_NUMBER 1023
/* Where the benchmark's mappings go: far from the program, its stack and each other. */
#define MAPPING_BASE 0x1000000000ul
#define CROWD_BASE 0x2000000000ul
/* Mappings of a crowd are this many pages apart, so that no two touch (Linux would merge
 * neighbours into one region) and the measured page fits between two of them. */
#define CROWD_STRIDE_PAGES 4

static int samples;          /* per row (fewer for rows whose sample is large) */
static size_t populate_size; /* the mapping the per-page rows fill and unmap */
static size_t fork_size;     /* the memory a forked process has touched */
static int round_trips;      /* per sample of the pipe row */

static inline unsigned long ticks(void) {
    unsigned int low, high;
    __asm__ volatile("lfence; rdtsc" : "=a"(low), "=d"(high) :: "memory");
    return (unsigned long)high << 32 | low;
}

/* ---- the two systems' one difference: making and removing a mapping ---- */

static void *map(unsigned long address, size_t length, int populate) {
#ifdef __linux__
    return mmap_linux(address, length, populate);
#else
    (void)populate; /* the boot's pager decides */
    return mmap((void *)address, length, PROT_READ | PROT_WRITE, -1, 0);
#endif
}

static int unmap(void *address, size_t length) {
#ifdef __linux__
    return munmap_linux(address, length);
#else
    (void)length; /* a KeOS munmap removes the whole mapping that starts there */
    return munmap(address);
#endif
}

/* Error results are the negative error numbers, all below this (ABI.md §1); an address
 * never is one. */
#define ERROR_LIMIT 0x100

static int failed(const void *result) { return (long)result < 0 && -(long)result < ERROR_LIMIT; }

/* ---- statistics and output ---- */

static void sort(unsigned long *values, int count) {
    for (int i = 1; i < count; i++)
        for (int j = i; j > 0 && values[j - 1] > values[j]; j--) {
            unsigned long swap = values[j]; values[j] = values[j - 1]; values[j - 1] = swap;
        }
}

/* Prints a row: its samples' median, fastest and slowest, and what it measures. */
static void report(const char *name, const char *label, unsigned long *values, int count) {
    sort(values, count);
    printf("bench row %s %d %lu %lu %lu %s\n", name, count, values[count / 2], values[0], values[count - 1], label);
}

/* Ends the program when a call the benchmark relies on fails: numbers after that would lie. */
static void require(int ok, const char *what, long result) {
    if (ok) return;
    printf("bench failed %s: %ld\n", what, result);
    exit(1);
}

/* ---- the rows ---- */

static unsigned long values[MAX_SAMPLES];

static void null_syscall(void) {
    for (int s = 0; s < samples; s++) {
        unsigned long start = ticks();
        for (int i = 0; i < BATCH; i++) syscall6(NULL_SYSCALL_NUMBER, 0, 0, 0, 0, 0, 0);
        values[s] = (ticks() - start) / BATCH;
    }
    report("null-syscall", "null system call", values, samples);
}

/* Reads 64 bytes at a time from the program's own file (every root file system, Apus's and
 * the initramfs, holds it), going back to its start between samples. */
static void read_64(const char *self) {
    static char buffer[64 * BATCH];
    int fd = (int)open(self, O_RDONLY);
    require(fd >= 0, "open of the program's file", fd);
    for (int s = 0; s < samples; s++) {
        seek(fd, 0, SEEK_SET);
        unsigned long start = ticks();
        for (int i = 0; i < BATCH; i++) read(fd, buffer + 64 * i, 64);
        values[s] = (ticks() - start) / BATCH;
    }
    close(fd);
    report("read-64", "read of 64 bytes from a file", values, samples);
}

/* One page mapped and unmapped at `address`, BATCH times per sample. */
static void map_unmap_page(const char *name, const char *label, unsigned long address) {
    for (int s = 0; s < samples; s++) {
        unsigned long start = ticks();
        for (int i = 0; i < BATCH; i++) {
            void *page = map(address, PAGE_SIZE, 0);
            require(!failed(page), "mmap of one page", (long)page);
            unmap(page, PAGE_SIZE);
        }
        values[s] = (ticks() - start) / BATCH;
    }
    report(name, label, values, samples);
}

/* mmap+munmap of one page while `count` mappings live (the page among them counts). */
static void map_among(int count) {
    for (int i = 0; i < count - 1; i++) {
        void *page = map(CROWD_BASE + (unsigned long)i * CROWD_STRIDE_PAGES * PAGE_SIZE, PAGE_SIZE, 0);
        require(!failed(page), "mmap of the crowd", (long)page);
    }
    char name[32], label[64];
    snprintf(name, sizeof name, "mmap-among-%d", count);
    snprintf(label, sizeof label, "mmap+munmap of a page among %d mappings", count);
    /* Between the middle two mappings, touching neither. */
    unsigned long middle = CROWD_BASE + ((unsigned long)(count / 2) * CROWD_STRIDE_PAGES + CROWD_STRIDE_PAGES / 2) * PAGE_SIZE;
    map_unmap_page(name, label, middle);
    for (int i = 0; i < count - 1; i++) unmap((void *)(CROWD_BASE + (unsigned long)i * CROWD_STRIDE_PAGES * PAGE_SIZE), PAGE_SIZE);
}

/* An eager mapping: its making (every page zeroed and entered), then its removal, per page. */
static void populate_and_unmap(void) {
    static unsigned long unmapped[MAX_SAMPLES];
    unsigned long pages = populate_size / PAGE_SIZE;
    int count = samples < 16 ? samples : 16;
    for (int s = 0; s < count; s++) {
        unsigned long start = ticks();
        void *memory = map(MAPPING_BASE, populate_size, 1);
        values[s] = (ticks() - start) / pages;
        require(!failed(memory), "eager mmap", (long)memory);
        start = ticks();
        unmap(memory, populate_size);
        unmapped[s] = (ticks() - start) / pages;
    }
    report("populate-per-page", "eager populate, per page", values, count);
    report("munmap-per-page", "munmap of populated pages, per page", unmapped, count);
}

/* A lazy mapping touched page by page: one page fault each. */
static void first_touch(void) {
    unsigned long pages = populate_size / PAGE_SIZE;
    int count = samples < 16 ? samples : 16;
    for (int s = 0; s < count; s++) {
        volatile unsigned char *memory = map(MAPPING_BASE, populate_size, 0);
        require(!failed((void *)memory), "lazy mmap", (long)memory);
        unsigned long start = ticks();
        for (unsigned long offset = 0; offset < populate_size; offset += PAGE_SIZE) memory[offset] = 1;
        values[s] = (ticks() - start) / pages;
        unmap((void *)memory, populate_size);
    }
    report("first-touch-per-page", "first-touch fault, per page", values, count);
}

/* The floors: what zeroing and copying a page cost in the machine, with the instructions the
 * kernel uses for them (`rep stosq`, `rep movsq`). */
static void floors(void) {
    static unsigned long source[PAGE_SIZE / 8], destination[PAGE_SIZE / 8];
    memset(source, 1, sizeof source);
    memset(destination, 1, sizeof destination);
    for (int s = 0; s < samples; s++) {
        unsigned long start = ticks();
        for (int i = 0; i < BATCH; i++) {
            void *to = destination;
            unsigned long words = PAGE_SIZE / 8;
            __asm__ volatile("rep stosq" : "+D"(to), "+c"(words) : "a"(0ul) : "memory");
        }
        values[s] = (ticks() - start) / BATCH;
    }
    report("zero-4k", "zeroing 4 KiB in user space (floor)", values, samples);
    for (int s = 0; s < samples; s++) {
        unsigned long start = ticks();
        for (int i = 0; i < BATCH; i++) {
            void *to = destination;
            const void *from = source;
            unsigned long words = PAGE_SIZE / 8;
            __asm__ volatile("rep movsq" : "+D"(to), "+S"(from), "+c"(words) :: "memory");
        }
        values[s] = (ticks() - start) / BATCH;
    }
    report("copy-4k", "copying 4 KiB in user space (floor)", values, samples);
}

/* Waits until the child that holds the write end of `fd` has ended (its end closes then). */
static void wait_for_end(int fd) {
    char byte;
    while (read(fd, &byte, 1) > 0) {}
    close(fd);
}

/* fork of a process that touched `fork_size` (the parent's time for the call), then the
 * child's copy-on-write fault on every page, per page. */
static void fork_and_copy(void) {
    static unsigned long copies[MAX_SAMPLES];
    unsigned long pages = fork_size / PAGE_SIZE;
    volatile unsigned char *memory = map(MAPPING_BASE, fork_size, 0);
    require(!failed((void *)memory), "mmap before fork", (long)memory);
    for (unsigned long offset = 0; offset < fork_size; offset += PAGE_SIZE) memory[offset] = 1;
    int count = samples < 7 ? samples : 7;
    for (int s = 0; s < count; s++) {
        int report_pipe[2];
        require(pipe(report_pipe) == 0, "pipe", -1);
        unsigned long start = ticks();
        int child = fork();
        if (child == 0) {
            close(report_pipe[0]);
            unsigned long copy_start = ticks();
            for (unsigned long offset = 0; offset < fork_size; offset += PAGE_SIZE) memory[offset] = 2;
            unsigned long copied = (ticks() - copy_start) / pages;
            write(report_pipe[1], &copied, sizeof copied);
            exit(0);
        }
        values[s] = ticks() - start;
        require(child > 0, "fork", child);
        close(report_pipe[1]);
        require(read(report_pipe[0], &copies[s], sizeof copies[s]) == sizeof copies[s], "the child's report", -1);
        wait_for_end(report_pipe[0]);
    }
    unmap((void *)memory, fork_size);
    char label[64];
    snprintf(label, sizeof label, "fork of a process with %lu MiB touched", fork_size / MIB);
    report("fork", label, values, count);
    report("cow-per-page", "copy-on-write fault, per page", copies, count);
}

/* One byte there and back through two pipes between two processes: two switches. */
static void pipe_round_trip(void) {
    int count = samples < 7 ? samples : 7;
    for (int s = 0; s < count; s++) {
        int ping[2], pong[2];
        require(pipe(ping) == 0 && pipe(pong) == 0, "pipe", -1);
        char byte = 'x';
        int child = fork();
        if (child == 0) {
            close(ping[1]);
            close(pong[0]);
            while (read(ping[0], &byte, 1) == 1) write(pong[1], &byte, 1);
            exit(0);
        }
        require(child > 0, "fork", child);
        close(ping[0]);
        close(pong[1]);
        unsigned long start = ticks();
        for (int i = 0; i < round_trips; i++) { write(ping[1], &byte, 1); read(pong[0], &byte, 1); }
        values[s] = (ticks() - start) / round_trips;
        close(ping[1]);
        wait_for_end(pong[0]);
    }
    report("pipe-round-trip", "pipe round trip between two processes", values, count);
}

/* thread_create of a thread that ends at once, then thread_join: a thread's whole life. */
static char thread_stack[16 * 1024] __attribute__((aligned(16)));

static int ends_at_once(void *unused) {
    (void)unused;
    exit(0);
}

static void thread_create_join(void) {
    for (int s = 0; s < samples; s++) {
        unsigned long start = ticks();
        int tid = thread_create("bench", thread_stack + sizeof thread_stack, ends_at_once, 0);
        require(tid > 0, "thread_create", tid);
        int status = -1;
        require(thread_join(tid, &status) == 0 && status == 0, "thread_join", status);
        values[s] = ticks() - start;
    }
    report("thread-create-join", "thread_create + thread_join", values, samples);
}

/* ---- the file system's rows (`files`) ---- */

#define DATA_FOLDER "bench-data"
#define WORK_FOLDER "bench-work"
#define IO_CHUNK (64 * 1024)
/* Samples of the rows whose one sample writes to the disk and waits for it (fsync), or reads
 * a whole large directory: fewer, so that a run stays short under emulation. */
#define DISK_SAMPLES 31
#define LISTING_SAMPLES 15
#define WARM_READS 5

static size_t data_file_size;   /* each data file */
static int data_files;          /* seq-1 … seq-N */
static int directory_entries;   /* in the directory readdir lists */
static char io_buffer[IO_CHUNK];
static struct dirent entries_buffer[64];

static int at_most(int limit) { return samples < limit ? samples : limit; }

/* Ends the program unless `result` is 0. */
static void succeed(long result, const char *what) { require(result == 0, what, result); }

/* Makes the next read of every file come from the disk: on Linux, write everything back and
 * drop the caches; on Apus nothing is needed, as each data file is read cold once per boot. */
static void drop_caches(void) {
#ifdef __linux__
    if (linux_is_init()) succeed(linux_drop_caches(), "dropping Linux's caches");
#endif
}


/* Reads the data file `number` to its end; returns the ticks it took. */
static unsigned long read_data_file(int number) {
    char path[64];
    snprintf(path, sizeof path, DATA_FOLDER "/seq-%d", number);
    int fd = (int)open(path, O_RDONLY);
    require(fd >= 0, "open of a data file (the tool puts bench-data/seq-N on the disk)", fd);
    size_t total = 0;
    ssize_t got;
    unsigned long start = ticks();
    while ((got = read(fd, io_buffer, sizeof io_buffer)) > 0) total += (size_t)got;
    unsigned long taken = ticks() - start;
    close(fd);
    require(got == 0 && total == data_file_size, "read of a whole data file", got < 0 ? got : (long)total);
    return taken;
}

static void sequential_reads(void) {
    char label[64];
    int count = 0;
    for (int number = 1; number <= data_files; number++) {
        drop_caches();
        values[count++] = read_data_file(number);
    }
    snprintf(label, sizeof label, "sequential read of %lu MiB, cold", data_file_size / MIB);
    report("file-read-cold", label, values, count);
    for (count = 0; count < at_most(WARM_READS); count++) values[count] = read_data_file(data_files);
    snprintf(label, sizeof label, "sequential read of %lu MiB, warm", data_file_size / MIB);
    report("file-read-warm", label, values, count);
}

/* create, open, write 4 KiB, fsync, close, unlink: a small file made durable and removed. */
static void create_write_fsync_unlink(void) {
    memset(io_buffer, 'f', PAGE_SIZE);
    for (int s = 0; s < at_most(DISK_SAMPLES); s++) {
        unsigned long start = ticks();
        succeed(create(WORK_FOLDER "/small"), "create");
        int fd = (int)open(WORK_FOLDER "/small", O_RDWR);
        require(fd >= 0, "open", fd);
        require(write(fd, io_buffer, PAGE_SIZE) == PAGE_SIZE, "write of 4 KiB", -1);
        succeed(fsync(fd), "fsync");
        close(fd);
        succeed(unlink(WORK_FOLDER "/small"), "unlink");
        values[s] = ticks() - start;
    }
    report("file-create-write-fsync-unlink", "create + 4 KiB write + fsync + unlink", values, at_most(DISK_SAMPLES));
}

/* fsync alone, after overwriting the first 4 KiB of a file that has them: the latency of
 * making one changed page durable. */
static void fsync_latency(void) {
    succeed(create(WORK_FOLDER "/synced"), "create");
    int fd = (int)open(WORK_FOLDER "/synced", O_RDWR);
    require(fd >= 0, "open", fd);
    require(write(fd, io_buffer, PAGE_SIZE) == PAGE_SIZE && fsync(fd) == 0, "the first write and fsync", -1);
    for (int s = 0; s < at_most(DISK_SAMPLES); s++) {
        io_buffer[0] = (char)s;
        seek(fd, 0, SEEK_SET);
        require(write(fd, io_buffer, PAGE_SIZE) == PAGE_SIZE, "write of 4 KiB", -1);
        unsigned long start = ticks();
        succeed(fsync(fd), "fsync");
        values[s] = ticks() - start;
    }
    close(fd);
    succeed(unlink(WORK_FOLDER "/synced"), "unlink");
    report("file-fsync", "fsync of a 4 KiB overwrite", values, at_most(DISK_SAMPLES));
}

/* create and unlink of an empty file, BATCH pairs per sample (each its own name): two
 * metadata operations, neither made durable by the program. */
static void create_unlink(void) {
    char names[BATCH][32];
    for (int i = 0; i < BATCH; i++) snprintf(names[i], sizeof names[i], WORK_FOLDER "/m%d", i);
    for (int s = 0; s < samples; s++) {
        unsigned long start = ticks();
        for (int i = 0; i < BATCH; i++) succeed(create(names[i]), "create");
        for (int i = 0; i < BATCH; i++) succeed(unlink(names[i]), "unlink");
        values[s] = (ticks() - start) / BATCH;
    }
    report("file-create-unlink", "create+unlink of an empty file (2 metadata operations)", values, samples);
}

static void stat_file(void) {
    struct stat st;
    for (int s = 0; s < samples; s++) {
        unsigned long start = ticks();
        for (int i = 0; i < BATCH; i++) stat(DATA_FOLDER "/seq-1", &st);
        values[s] = (ticks() - start) / BATCH;
    }
    require(stat(DATA_FOLDER "/seq-1", &st) == 0 && st.size == data_file_size, "stat of a data file", -1);
    report("file-stat", "stat of a file", values, samples);
}

/* A directory of `directory_entries` empty files, listed whole with readdir (64 entries a
 * call) per sample, then emptied and removed. */
static void list_directory(void) {
    char path[64];
    succeed(mkdir(WORK_FOLDER "/listed"), "mkdir");
    for (int i = 0; i < directory_entries; i++) {
        snprintf(path, sizeof path, WORK_FOLDER "/listed/e%05d", i);
        succeed(create(path), "create of a directory entry");
    }
    for (int s = 0; s < at_most(LISTING_SAMPLES); s++) {
        unsigned long start = ticks();
        int fd = (int)open(WORK_FOLDER "/listed", O_RDONLY);
        long listed = 0;
        ssize_t got;
        while ((got = readdir(fd, entries_buffer, sizeof entries_buffer / sizeof entries_buffer[0])) > 0) listed += got;
        close(fd);
        values[s] = ticks() - start;
        require(got == 0 && listed == directory_entries + 2, "readdir of every entry", got < 0 ? got : listed);
    }
    char label[64];
    snprintf(label, sizeof label, "readdir of %d entries", directory_entries);
    report("file-readdir", label, values, at_most(LISTING_SAMPLES));
    for (int i = 0; i < directory_entries; i++) {
        snprintf(path, sizeof path, WORK_FOLDER "/listed/e%05d", i);
        succeed(unlink(path), "unlink of a directory entry");
    }
    succeed(unlink(WORK_FOLDER "/listed"), "unlink of the listed directory");
}

static void file_rows(int quick) {
    data_file_size = quick ? 1 * MIB : 64 * MIB;
    data_files = quick ? 2 : 4;
    directory_entries = quick ? 100 : 10000;
#ifdef __linux__
    if (linux_is_init()) succeed(linux_mount_disk("/dev/vda", "ext4", "/mnt"), "mounting the disk");
#endif
    /* The cold reads first, before anything else brings the disk's blocks in. */
    sequential_reads();
    long made = mkdir(WORK_FOLDER);
    require(made == 0 || made == -FileExist, "mkdir " WORK_FOLDER, made);
    create_write_fsync_unlink();
    fsync_latency();
    create_unlink();
    stat_file();
    list_directory();
    succeed(unlink(WORK_FOLDER), "unlink " WORK_FOLDER);
#ifdef __linux__
    if (linux_is_init()) succeed(linux_unmount_disk("/mnt"), "unmounting the disk");
#endif
}

#ifdef __linux__
/* ---- busybox's rows (`busybox`): other programs started from this one ----
 *
 * Only the Linux build has them (KeOS has no execve); Apus runs that build as a Linux
 * program. Busybox is the machine's /bin/busybox with a hard link per applet in /bin: on
 * Apus the tool installs it on the run's disk, on Linux it is in the initramfs. A sample is
 * fork, execve of busybox in the child, wait4 in the parent, from before the fork to after
 * the wait; an untimed run before the samples brings busybox's file into memory on both. */

/* Samples of the shell loops, whose one sample is many rounds. */
#define SHELL_SAMPLES 15
#define SHELL_EXEC_SAMPLES 5
#define SCRIPT_SPACE 128
#define LABEL_SPACE 128

static char *const child_environment[] = { "PATH=/bin", 0 };

/* Starts the program at `path` with `argv` and waits for it to exit with status 0: the ticks
 * from before the fork to after the wait. */
static unsigned long start_and_wait(const char *path, char *const argv[]) {
    unsigned long start = ticks();
    int child = fork();
    if (child == 0) {
        long failure = linux_execve(path, argv, child_environment);
        printf("bench failed execve of %s: %ld\n", path, failure);
        exit(1);
    }
    require(child > 0, "fork", child);
    long status = linux_wait(child);
    unsigned long taken = ticks() - start;
    require(status == 0, "busybox's wait status", status);
    return taken;
}

/* One untimed run, then `count` samples into `values`. */
static void sample_runs(const char *path, char *const argv[], int count) {
    start_and_wait(path, argv);
    for (int s = 0; s < count; s++) values[s] = start_and_wait(path, argv);
}

/* `sh -c` of a while loop of `iterations` rounds, each running `command` (a shell command and
 * `; `, or nothing) and counting: rows NAME (the whole run) and NAME-per-iteration (the whole
 * run over the rounds, the shell's start included). */
static void shell_loop(const char *name, const char *what, const char *command, int iterations, int count) {
    static unsigned long per_iteration[MAX_SAMPLES];
    char script[SCRIPT_SPACE], row[64], label[LABEL_SPACE];
    snprintf(script, sizeof script, "i=0; while [ $i -lt %d ]; do %si=$((i+1)); done", iterations, command);
    char *const argv[] = { "sh", "-c", script, 0 };
    sample_runs("/bin/sh", argv, count);
    for (int s = 0; s < count; s++) per_iteration[s] = values[s] / (unsigned long)iterations;
    snprintf(label, sizeof label, "busybox sh: while loop of %d iterations%s, whole run", iterations, what);
    report(name, label, values, count);
    snprintf(row, sizeof row, "%s-per-iteration", name);
    snprintf(label, sizeof label, "busybox sh: one iteration%s (whole run / %d)", what, iterations);
    report(row, label, per_iteration, count);
}

static void busybox_rows(int quick) {
    char *const argv[] = { "true", 0 };
    sample_runs("/bin/true", argv, samples);
    report("exec-true", "fork + execve + wait of busybox true", values, samples);
    /* The shell's own work per round: a test, an arithmetic expansion, an assignment. */
    shell_loop("shell-loop", "", "", quick ? 10 : 1000, at_most(SHELL_SAMPLES));
    /* The same with a program started per round: fork of the shell, execve, wait. */
    shell_loop("shell-exec-loop", " running /bin/true", "/bin/true; ", quick ? 3 : 100, at_most(SHELL_EXEC_SAMPLES));
}
#endif

int main(int argc, char **argv) {
    unsigned long start = ticks();
    int lazy = 0, eager = 0, files = 0, busybox = 0, quick = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "lazy")) lazy = 1;
        else if (!strcmp(argv[i], "eager")) eager = 1;
        else if (!strcmp(argv[i], "files")) files = 1;
        else if (!strcmp(argv[i], "busybox")) busybox = 1;
        else if (!strcmp(argv[i], "short")) quick = 1;
        else { printf("bench: unknown argument %s (lazy, eager, files, busybox, short)\n", argv[i]); return 2; }
    }
#ifndef __linux__
    if (busybox) { printf("bench: busybox's rows are the Linux build's (KeOS has no execve)\n"); return 2; }
#endif
    if (!lazy && !eager && !files && !busybox) lazy = 1;
    printf("bench start %lu\n", start);
    samples = quick ? 3 : 101;
    populate_size = quick ? 64 * 1024 : 16 * MIB;
    fork_size = quick ? 1 * MIB : 64 * MIB;
    round_trips = quick ? 10 : 1000;

    if (lazy) {
        null_syscall();
        read_64(argv[0]);
        map_unmap_page("mmap-munmap-page", "mmap+munmap of one page", MAPPING_BASE);
        map_among(10);
        map_among(1000);
        map_among(quick ? 2000 : 100000);
        floors();
        first_touch();
        fork_and_copy();
        pipe_round_trip();
        thread_create_join();
    }
    if (eager) populate_and_unmap();
    if (files) file_rows(quick);
#ifdef __linux__
    if (busybox) busybox_rows(quick);
#endif
    printf("bench end %lu\n", ticks());
    return 0;
}
