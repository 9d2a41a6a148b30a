/* The KeOS system calls (Userland/include/syscall.h) over Linux's, for a program that runs
 * on both: the same names, arguments and results (a negative result is an error number,
 * which Linux's errno values share with KeOS's for every error these calls return here).
 * The instruction itself is syscall6 (Userland/lib/syscall6.c), the same on both.
 *
 * A program run as Linux's `/init` is process 1, whose end makes Linux panic: so `exit` of
 * process 1 syncs nothing and powers the machine off, as the end of an Apus run does. */
#include <mman.h>
#include <syscall.h>
#include <thread.h>

/* Linux's x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
enum linux_syscall_number {
    LINUX_READ = 0, LINUX_WRITE = 1, LINUX_OPEN = 2, LINUX_CLOSE = 3, LINUX_LSEEK = 8,
    LINUX_MMAP = 9, LINUX_MUNMAP = 11, LINUX_PIPE = 22, LINUX_GETPID = 39, LINUX_FORK = 57,
    LINUX_CLONE = 56, LINUX_EXIT = 60, LINUX_REBOOT = 169, LINUX_GETTID = 186, LINUX_FUTEX = 202,
    LINUX_EXIT_GROUP = 231,
};

/* mmap flags (include/uapi/asm-generic/mman-common.h, linux/mman.h). */
#define LINUX_MAP_PRIVATE 0x02
#define LINUX_MAP_ANONYMOUS 0x20
#define LINUX_MAP_POPULATE 0x8000
#define LINUX_MAP_FIXED_NOREPLACE 0x100000

/* reboot(2): the two magic numbers and the command that powers off. */
#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc

/* lseek's whence: Linux's values are KeOS's (and O_RDONLY, O_WRONLY, O_RDWR are too). */
#define LINUX_SEEK_CUR 1

static void end_thread(int status);

void exit(int status) {
    /* KeOS's exit ends the calling thread; a thread that is not the main one ends alone. */
    if (syscall6(LINUX_GETTID, 0, 0, 0, 0, 0, 0) != syscall6(LINUX_GETPID, 0, 0, 0, 0, 0, 0)) end_thread(status);
    if (syscall6(LINUX_GETPID, 0, 0, 0, 0, 0, 0) == 1)
        syscall6(LINUX_REBOOT, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0, 0, 0);
    syscall6(LINUX_EXIT_GROUP, status, 0, 0, 0, 0, 0);
    for (;;) {}
}
ssize_t open(const char *path, int mode) { return syscall6(LINUX_OPEN, (long)path, mode, 0, 0, 0, 0); }
ssize_t read(int fd, void *buffer, size_t count) { return syscall6(LINUX_READ, fd, (long)buffer, (long)count, 0, 0, 0); }
ssize_t write(int fd, const void *buffer, size_t count) { return syscall6(LINUX_WRITE, fd, (long)buffer, (long)count, 0, 0, 0); }
off_t seek(int fd, off_t offset, int whence) { return syscall6(LINUX_LSEEK, fd, offset, whence, 0, 0, 0); }
off_t tell(int fd) { return syscall6(LINUX_LSEEK, fd, 0, LINUX_SEEK_CUR, 0, 0, 0); }
int close(int fd) { return (int)syscall6(LINUX_CLOSE, fd, 0, 0, 0, 0, 0); }
int pipe(int fds[2]) { return (int)syscall6(LINUX_PIPE, (long)fds, 0, 0, 0, 0, 0); }
int fork(void) { return (int)syscall6(LINUX_FORK, 0, 0, 0, 0, 0, 0); }
/* getphys has no Linux counterpart: NoSuchSyscall, as an unknown call. */
long getphys(void *address, int mode) { (void)address; (void)mode; return -NoSuchSyscall; }

void *mmap_linux(unsigned long address, size_t length, int populate) {
    long flags = LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_FIXED_NOREPLACE | (populate ? LINUX_MAP_POPULATE : 0);
    return (void *)syscall6(LINUX_MMAP, (long)address, (long)length, PROT_READ | PROT_WRITE, flags, -1, 0);
}
int munmap_linux(void *address, size_t length) { return (int)syscall6(LINUX_MUNMAP, (long)address, (long)length, 0, 0, 0, 0); }

/* Threads (thread.h) over clone(2): a thread shares the memory, files and signal handlers of
 * its process (CLONE_THREAD and friends). Linux keeps no status for a thread, so the shim
 * keeps one per thread in a small table; the kernel writes the thread's id into its slot
 * when it starts (CLONE_PARENT_SETTID) and clears it and wakes a futex on it when the
 * thread is gone (CLONE_CHILD_CLEARTID), which is what thread_join waits for. */
#define LINUX_CLONE_THREAD_FLAGS (0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x100000 | 0x200000)
#define LINUX_FUTEX_WAIT 0
#define THREAD_SLOTS 64

static struct thread_slot { volatile int tid; int id; int status; int used; } slots[THREAD_SLOTS];

/* clone into fn(arg) on `stack`: the new thread finds fn and arg on its stack, calls fn and
 * ends with its result if it returns. Returns the new thread's id to the caller. */
long linux_clone_thread(long flags, void *stack, volatile int *tid, int (*fn)(void *), void *arg);
__asm__(".text\n"
        ".globl linux_clone_thread\n"
        "linux_clone_thread:\n"
        "  subq $16, %rsi\n"
        "  movq %rcx, 0(%rsi)\n"          /* fn */
        "  movq %r8, 8(%rsi)\n"           /* arg */
        "  movq %rdx, %r10\n"             /* the child's tid word */
        "  xorl %r8d, %r8d\n"             /* no TLS */
        "  movl $56, %eax\n"
        "  syscall\n"
        "  testq %rax, %rax\n"
        "  jnz 1f\n"
        "  popq %rax\n"
        "  popq %rdi\n"
        "  call *%rax\n"
        "  movl %eax, %edi\n"
        "  call exit\n"
        "  hlt\n"
        "1: ret\n");

static struct thread_slot *slot_of(int id) {
    for (int i = 0; i < THREAD_SLOTS; i++)
        if (slots[i].used && slots[i].id == id) return &slots[i];
    return 0;
}

int thread_create(const char *name, void *stack, int (*fn)(void *), void *arg) {
    (void)name;
    struct thread_slot *slot = 0;
    for (int i = 0; i < THREAD_SLOTS && !slot; i++)
        if (!slots[i].used) slot = &slots[i];
    if (!slot) return -NoMemory;
    slot->used = 1;
    slot->status = 0;
    long id = linux_clone_thread(LINUX_CLONE_THREAD_FLAGS, stack, &slot->tid, fn, arg);
    if (id < 0) { slot->used = 0; return (int)id; }
    slot->id = (int)id;
    return (int)id;
}

static void end_thread(int status) {
    struct thread_slot *slot = slot_of((int)syscall6(LINUX_GETTID, 0, 0, 0, 0, 0, 0));
    if (slot) slot->status = status;
    syscall6(LINUX_EXIT, status, 0, 0, 0, 0, 0);
    for (;;) {}
}

int thread_join(int id, int *status) {
    struct thread_slot *slot = slot_of(id);
    if (!slot) return -InvalidArgument;
    int seen;
    while ((seen = slot->tid) != 0) syscall6(LINUX_FUTEX, (long)&slot->tid, LINUX_FUTEX_WAIT, seen, 0, 0, 0);
    if (status) *status = slot->status;
    slot->used = 0;
    return 0;
}

void exit_group(int status) { exit(status); }
