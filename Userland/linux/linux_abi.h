/* Linux's side of the x86-64 system call interface, as the shim (syscall.c) and the machine
 * helpers (machine.c) call it: numbers, errno values and flags, each from the Linux header
 * named beside it. KeOS's own error numbers are Linux's where KeOS has the error, so only the
 * others are here. */
#ifndef LINUX_ABI_H
#define LINUX_ABI_H

#include <stdint.h>

/* Linux's x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
enum linux_syscall_number {
    LINUX_READ = 0, LINUX_WRITE = 1, LINUX_OPEN = 2, LINUX_CLOSE = 3, LINUX_FSTAT = 5,
    LINUX_LSEEK = 8, LINUX_MMAP = 9, LINUX_MUNMAP = 11, LINUX_PIPE = 22, LINUX_NANOSLEEP = 35,
    LINUX_GETPID = 39, LINUX_FORK = 57, LINUX_CLONE = 56, LINUX_EXECVE = 59, LINUX_EXIT = 60,
    LINUX_WAIT4 = 61, LINUX_FSYNC = 74, LINUX_CHDIR = 80, LINUX_MKDIR = 83, LINUX_SYNC = 162,
    LINUX_MOUNT = 165, LINUX_UMOUNT2 = 166, LINUX_REBOOT = 169, LINUX_GETTID = 186,
    LINUX_FUTEX = 202, LINUX_GETDENTS64 = 217, LINUX_EXIT_GROUP = 231, LINUX_NEWFSTATAT = 262,
    LINUX_UNLINKAT = 263,
    LINUX_PROCESS_VM_READV = 310, LINUX_PROCESS_VM_WRITEV = 311, LINUX_FINIT_MODULE = 313,
};

/* Linux's errno values that KeOS has no number of its own for (asm-generic/errno-base.h,
 * errno.h); every other KeOS error number is Linux's. */
enum linux_errno {
    LINUX_EINTR = 4, LINUX_ENXIO = 6, LINUX_EAGAIN = 11, LINUX_EXDEV = 18, LINUX_ENODEV = 19,
    LINUX_ENFILE = 23, LINUX_ETXTBSY = 26, LINUX_EFBIG = 27, LINUX_ESPIPE = 29,
    LINUX_EROFS = 30, LINUX_EMLINK = 31, LINUX_ELOOP = 40, LINUX_EOVERFLOW = 75,
    LINUX_EILSEQ = 84, LINUX_EDQUOT = 122,
};
/* The largest error number a Linux system call returns. */
#define LINUX_MAX_ERRNO 4095

/* open flags and *at arguments (asm-generic/fcntl.h). */
#define LINUX_O_CREAT 0100
#define LINUX_O_EXCL 0200
#define LINUX_O_DIRECTORY 0200000
#define LINUX_AT_FDCWD (-100)
#define LINUX_AT_REMOVEDIR 0x200
/* Modes of what create and mkdir make: KeOS has no permissions, so everyone may read. */
#define LINUX_FILE_MODE 0644
#define LINUX_DIRECTORY_MODE 0755

/* Linux's directory record (linux/dirent.h). */
struct linux_dirent64 {
    uint64_t ino;
    int64_t next; /* d_off: the position of the record after this one */
    uint16_t length;
    uint8_t type;
    char name[];
};

#endif
