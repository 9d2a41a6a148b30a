/* The KeOS system calls (Userland/include/syscall.h) over Linux's, for a program that runs
 * on both: the same names, arguments and results. A negative result is a KeOS error number:
 * most are Linux's errno values too, and `keos_error` maps the others.
 * The instruction itself is syscall6 (Userland/lib/syscall6.c), the same on both.
 *
 * A program run as Linux's `/init` is process 1, whose end makes Linux panic: so `exit` of
 * process 1 syncs nothing and powers the machine off, as the end of an Apus run does.
 *
 * The file system calls (ABI.md §6) keep KeOS's rules where the shim can cheaply, and
 * otherwise leave Linux's (docs/file-programs.md lists where the two differ):
 *   - `create` is open(O_CREAT|O_EXCL) then close; `mkdir` makes mode 0755;
 *   - `unlink` removes an empty directory too, and a last component `.` or `..` is Busy;
 *   - `open` opens a directory in any mode; `write` to it is IsDirectory, `seek` and
 *     `tell` InvalidArgument (the shim remembers which fds are directories);
 *   - `readdir` reads getdents64, gives `.` and `..` first and the rest in Linux's order,
 *     and keeps its place in the fd's own position (a batch it does not hand out is sought
 *     back to);
 *   - `stat` translates Linux's record to the 32 bytes of stat.h;
 *   - the records go out through process_vm_writev after every page of the buffer was
 *     checked, so a bad buffer is BadAddress, not a crash, and changes nothing.
 * Linux keeps its own limits: names of up to 255 bytes, any bytes but `/` and NUL. */
#include <dirent.h>
#include <fcntl.h>
#include <mman.h>
#include <stat.h>
#include <string.h>
#include <syscall.h>
#include <thread.h>
#include "linux_abi.h"


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
#define LINUX_SEEK_SET 0
#define LINUX_SEEK_CUR 1

/* The end of the user half (ABI.md §4), and a page. */
#define USER_END 0x800000000000ul
#define PAGE_SIZE 4096ul

/* A Linux result as KeOS says it: results and KeOS's own error numbers as they are, other
 * errors mapped to the KeOS error that means the most alike, IOError for the rest. */
static long keos_error(long result) {
    if (result >= 0 || result < -LINUX_MAX_ERRNO) return result;
    switch (-result) {
    case OperationNotPermitted: case NoSuchEntry: case IOError: case NoExec:
    case BadFileDescriptor: case NoMemory: case InvalidAccess: case BadAddress: case Busy:
    case FileExist: case NotDirectory: case IsDirectory: case InvalidArgument:
    case TooManyOpenFile: case NoSpace: case BrokenPipe: case NameTooLong: case NoSuchSyscall:
    case DirectoryNotEmpty:
        return result;
    case LINUX_ENXIO: case LINUX_ENODEV: return -NoSuchEntry;
    case LINUX_EAGAIN: case LINUX_ETXTBSY: return -Busy;
    case LINUX_EXDEV: case LINUX_EROFS: return -OperationNotPermitted;
    case LINUX_ENFILE: return -TooManyOpenFile;
    case LINUX_EFBIG: case LINUX_EMLINK: case LINUX_EDQUOT: return -NoSpace;
    case LINUX_ESPIPE: case LINUX_ELOOP: case LINUX_EOVERFLOW: case LINUX_EILSEQ: return -InvalidArgument;
    default: return -IOError;
    }
}

static void end_thread(int status);

void exit(int status) {
    /* KeOS's exit ends the calling thread; a thread that is not the main one ends alone. */
    if (syscall6(LINUX_GETTID, 0, 0, 0, 0, 0, 0) != syscall6(LINUX_GETPID, 0, 0, 0, 0, 0, 0)) end_thread(status);
    if (syscall6(LINUX_GETPID, 0, 0, 0, 0, 0, 0) == 1)
        syscall6(LINUX_REBOOT, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0, 0, 0);
    syscall6(LINUX_EXIT_GROUP, status, 0, 0, 0, 0, 0);
    for (;;) {}
}

/* ---- which fds are directories, and where readdir stands in each ---- */

/* Linux's stat record (arch/x86/include/uapi/asm/stat.h), the fields the shim reads. */
struct linux_stat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, pad;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    uint64_t times[6], reserved[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "Linux's x86-64 stat is 144 bytes");
#define LINUX_S_IFMT 0170000
#define LINUX_S_IFDIR 0040000

/* The fds the shim keeps track of (KeOS allows 1,024); a larger fd is never a directory to
 * it and its readdir skips `.` and `..`. */
#define TRACKED_FDS 4096
/* What readdir hands out next: `.`, `..`, then the entries getdents64 gives. */
enum readdir_step { NEXT_DOT = 0, NEXT_DOTDOT = 1, NEXT_ENTRIES = 2 };
static struct tracked_fd { unsigned char is_directory, next; } tracked[TRACKED_FDS];

static int is_directory_fd(int fd) { return fd >= 0 && fd < TRACKED_FDS && tracked[fd].is_directory; }

static void track(int fd, int is_directory) {
    if (fd < 0 || fd >= TRACKED_FDS) return;
    tracked[fd].is_directory = (unsigned char)is_directory;
    tracked[fd].next = NEXT_DOT;
}

ssize_t open(const char *path, int mode) {
    if (mode < O_RDONLY || mode > O_RDWR) return -InvalidArgument;
    long fd = syscall6(LINUX_OPEN, (long)path, mode, 0, 0, 0, 0);
    /* Linux opens a directory for reading only; KeOS in any mode. */
    if (fd == -IsDirectory && mode != O_RDONLY)
        fd = syscall6(LINUX_OPEN, (long)path, O_RDONLY | LINUX_O_DIRECTORY, 0, 0, 0, 0);
    if (fd < 0) return keos_error(fd);
    struct linux_stat st;
    long known = syscall6(LINUX_FSTAT, fd, (long)&st, 0, 0, 0, 0);
    track((int)fd, known == 0 && (st.mode & LINUX_S_IFMT) == LINUX_S_IFDIR);
    return fd;
}
ssize_t read(int fd, void *buffer, size_t count) { return keos_error(syscall6(LINUX_READ, fd, (long)buffer, (long)count, 0, 0, 0)); }
ssize_t write(int fd, const void *buffer, size_t count) {
    long result = syscall6(LINUX_WRITE, fd, (long)buffer, (long)count, 0, 0, 0);
    if (result == -BadFileDescriptor && is_directory_fd(fd)) return -IsDirectory;
    return keos_error(result);
}
off_t seek(int fd, off_t offset, int whence) {
    if (is_directory_fd(fd)) return -InvalidArgument;
    return keos_error(syscall6(LINUX_LSEEK, fd, offset, whence, 0, 0, 0));
}
off_t tell(int fd) {
    if (is_directory_fd(fd)) return -InvalidArgument;
    return keos_error(syscall6(LINUX_LSEEK, fd, 0, LINUX_SEEK_CUR, 0, 0, 0));
}
int close(int fd) {
    long result = syscall6(LINUX_CLOSE, fd, 0, 0, 0, 0, 0);
    if (result == 0) track(fd, 0);
    return (int)keos_error(result);
}
int pipe(int fds[2]) { return (int)keos_error(syscall6(LINUX_PIPE, (long)fds, 0, 0, 0, 0, 0)); }
int fork(void) { return (int)keos_error(syscall6(LINUX_FORK, 0, 0, 0, 0, 0, 0)); }
/* getphys has no Linux counterpart: NoSuchSyscall, as an unknown call. */
long getphys(void *address, int mode) { (void)address; (void)mode; return -NoSuchSyscall; }

/* ---- copying records out to the program's memory without trusting its pointer ---- */

struct linux_iovec { const void *base; size_t length; };

/* One process_vm_readv or process_vm_writev of `length` bytes between the shim's `local`
 * and the program's `remote` (the same process). Returns the bytes moved. */
static long move_bytes(int call, void *local, const void *remote, size_t length) {
    struct linux_iovec here = { local, length }, there = { remote, length };
    long pid = syscall6(LINUX_GETPID, 0, 0, 0, 0, 0, 0);
    return syscall6(call, pid, (long)&here, 1, (long)&there, 1, 0);
}

/* True when every page of [start, start + length) is mapped writable, as KeOS's access_ok
 * checks it (an empty range checks its first page): one byte of each page is read and written
 * back by the kernel, which fails on a page the program may not write. */
static int user_writable(const void *start, size_t length) {
    unsigned long first = (unsigned long)start, end = first + (length ? length : 1);
    if (end < first || end > USER_END) return 0;
    for (unsigned long page = first & ~(PAGE_SIZE - 1); page < end; page += PAGE_SIZE) {
        const void *probe = (const void *)(page < first ? first : page);
        char byte;
        if (move_bytes(LINUX_PROCESS_VM_READV, &byte, probe, 1) != 1) return 0;
        if (move_bytes(LINUX_PROCESS_VM_WRITEV, &byte, probe, 1) != 1) return 0;
    }
    return 1;
}

/* Copies `length` bytes to the program's `destination`; BadAddress unless all of them went. */
static long copy_out(void *destination, const void *source, size_t length) {
    if (!user_writable(destination, length)) return -BadAddress;
    return move_bytes(LINUX_PROCESS_VM_WRITEV, (void *)source, destination, length) == (long)length ? 0 : -BadAddress;
}

/* ---- the file system calls (ABI.md §6) ---- */

int create(const char *path) {
    long fd = syscall6(LINUX_OPEN, (long)path, LINUX_O_CREAT | LINUX_O_EXCL | O_WRONLY, LINUX_FILE_MODE, 0, 0, 0);
    if (fd < 0) return (int)keos_error(fd);
    syscall6(LINUX_CLOSE, fd, 0, 0, 0, 0, 0);
    return 0;
}
int mkdir(const char *path) { return (int)keos_error(syscall6(LINUX_MKDIR, (long)path, LINUX_DIRECTORY_MODE, 0, 0, 0, 0)); }
int chdir(const char *path) { return (int)keos_error(syscall6(LINUX_CHDIR, (long)path, 0, 0, 0, 0, 0)); }
int fsync(int fd) { return (int)keos_error(syscall6(LINUX_FSYNC, fd, 0, 0, 0, 0, 0)); }

/* True when the last component of `path` is `.` or `..` (trailing slashes aside). */
static int ends_in_dot(const char *path) {
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/') end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/') start--;
    size_t length = end - start;
    return (length == 1 || length == 2) && path[start] == '.' && (length == 1 || path[start + 1] == '.');
}

int unlink(const char *path) {
    long result = syscall6(LINUX_UNLINKAT, LINUX_AT_FDCWD, (long)path, 0, 0, 0, 0);
    if (result != -IsDirectory) return (int)keos_error(result);
    /* A directory: Linux removes it only when asked to; `.` and `..` are Busy to KeOS. */
    if (ends_in_dot(path)) return -Busy;
    return (int)keos_error(syscall6(LINUX_UNLINKAT, LINUX_AT_FDCWD, (long)path, LINUX_AT_REMOVEDIR, 0, 0, 0));
}

int stat(const char *path, struct stat *st) {
    struct linux_stat linux_record;
    long result = syscall6(LINUX_NEWFSTATAT, LINUX_AT_FDCWD, (long)path, (long)&linux_record, 0, 0, 0);
    if (result < 0) return (int)keos_error(result);
    struct stat record;
    memset(&record, 0, sizeof record);
    record.ino = linux_record.ino;
    record.type = (linux_record.mode & LINUX_S_IFMT) == LINUX_S_IFDIR ? FILE_TYPE_DIRECTORY : FILE_TYPE_REGULAR;
    record.size = (uint64_t)linux_record.size;
    return (int)copy_out(st, &record, sizeof record);
}

/* Entries readdir moves out at a time, and the getdents64 buffer (static: the program's
 * stack may be small, and a shim for tests need not be thread-safe here). */
#define STAGED_ENTRIES 32
static struct dirent staged[STAGED_ENTRIES];
static char linux_records[16384];

static void stage(struct dirent *entry, uint64_t ino, const char *name) {
    memset(entry, 0, sizeof *entry);
    entry->ino = ino;
    for (size_t i = 0; name[i] && i < sizeof entry->name - 1; i++) entry->name[i] = name[i];
}

/* Stages up to `wanted` entries of directory `fd` from the step `*next`; returns how many.
 * The fd's position ends after the last entry staged. Negative: an error. */
static long stage_entries(int fd, unsigned char *next, size_t wanted) {
    size_t count = 0;
    struct linux_stat st;
    if (*next == NEXT_DOT && count < wanted) {
        if (syscall6(LINUX_FSTAT, fd, (long)&st, 0, 0, 0, 0) < 0) return -IOError;
        stage(&staged[count++], st.ino, ".");
        *next = NEXT_DOTDOT;
    }
    if (*next == NEXT_DOTDOT && count < wanted) {
        if (syscall6(LINUX_NEWFSTATAT, fd, (long)"..", (long)&st, 0, 0, 0) < 0) return -IOError;
        stage(&staged[count++], st.ino, "..");
        *next = NEXT_ENTRIES;
    }
    while (count < wanted) {
        long got = syscall6(LINUX_GETDENTS64, fd, (long)linux_records, sizeof linux_records, 0, 0, 0);
        /* An error after some entries: those first, the error on the next call. */
        if (got < 0) return count ? (long)count : keos_error(got);
        if (got == 0) return (long)count;
        for (long at = 0; at < got;) {
            const struct linux_dirent64 *record = (const struct linux_dirent64 *)(linux_records + at);
            at += record->length;
            if (record->name[0] == '.' && (!record->name[1] || (record->name[1] == '.' && !record->name[2]))) continue;
            stage(&staged[count++], record->ino, record->name);
            if (count == wanted && at < got) {
                /* Records left over: the next call starts with the one after this. */
                syscall6(LINUX_LSEEK, fd, record->next, LINUX_SEEK_SET, 0, 0, 0);
                break;
            }
        }
    }
    return (long)count;
}

ssize_t readdir(int fd, struct dirent *entries, size_t count) {
    struct linux_stat st;
    long known = syscall6(LINUX_FSTAT, fd, (long)&st, 0, 0, 0, 0);
    if (known < 0) return keos_error(known);
    if ((st.mode & LINUX_S_IFMT) != LINUX_S_IFDIR) return -NotDirectory;
    if (count > USER_END / sizeof *entries || !user_writable(entries, count * sizeof *entries)) return -BadAddress;
    unsigned char next_step = fd < TRACKED_FDS ? tracked[fd].next : NEXT_ENTRIES;
    size_t filled = 0;
    while (filled < count) {
        long position = syscall6(LINUX_LSEEK, fd, 0, LINUX_SEEK_CUR, 0, 0, 0);
        unsigned char next = next_step;
        size_t wanted = count - filled < STAGED_ENTRIES ? count - filled : STAGED_ENTRIES;
        long staged_count = stage_entries(fd, &next, wanted);
        if (staged_count < 0) return filled ? (ssize_t)filled : staged_count;
        if (staged_count == 0) break;
        if (copy_out(entries + filled, staged, (size_t)staged_count * sizeof *entries) < 0) {
            /* Nothing handed out: the next call starts where this batch did. */
            syscall6(LINUX_LSEEK, fd, position, LINUX_SEEK_SET, 0, 0, 0);
            return filled ? (ssize_t)filled : -BadAddress;
        }
        next_step = next;
        if (fd < TRACKED_FDS) tracked[fd].next = next;
        filled += (size_t)staged_count;
    }
    return (ssize_t)filled;
}

/* ---- KeOS's mmap and munmap ---- */

/* KeOS's munmap takes only the start of a mapping; Linux's wants the length too, so the
 * shim keeps the mappings it made. */
#define TRACKED_MAPPINGS 256
static struct { unsigned long start; size_t length; } mappings[TRACKED_MAPPINGS];

void *mmap(void *address, size_t length, int prot, int fd, off_t offset) {
    if (!address || !(prot & PROT_READ)) return (void *)-InvalidArgument;
    int slot = 0;
    while (slot < TRACKED_MAPPINGS && mappings[slot].start) slot++;
    if (slot == TRACKED_MAPPINGS) return (void *)-NoMemory;
    long flags = LINUX_MAP_PRIVATE | LINUX_MAP_FIXED_NOREPLACE | (fd == -1 ? LINUX_MAP_ANONYMOUS : 0);
    long result = syscall6(LINUX_MMAP, (long)address, (long)length, prot, flags, fd, offset);
    /* An overlap is EEXIST to Linux, InvalidArgument to KeOS. */
    if (result == -FileExist) return (void *)-InvalidArgument;
    if (result < 0 && result >= -LINUX_MAX_ERRNO) return (void *)keos_error(result);
    mappings[slot].start = (unsigned long)result;
    mappings[slot].length = length;
    return (void *)result;
}

int munmap(void *address) {
    for (int slot = 0; slot < TRACKED_MAPPINGS; slot++) {
        if (!address || mappings[slot].start != (unsigned long)address) continue;
        long result = syscall6(LINUX_MUNMAP, (long)address, (long)mappings[slot].length, 0, 0, 0, 0);
        if (result == 0) mappings[slot].start = 0;
        return (int)keos_error(result);
    }
    return -InvalidArgument;
}

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
