// Linux system calls a careless or hostile program makes: bad pointers, bad flags, huge
// counts, files that are not programs to execve. Every call must fail with Linux's error
// and the program go on: it prints each answer (the result, or -errno), then "survived".
// Built by the system tests with this host's `cc -static`, and run here and on Apus.
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <string.h>
#include <errno.h>

static long call(long n, long a, long b, long c, long d, long e, long f) {
    long r = syscall(n, a, b, c, d, e, f);
    return r < 0 ? -errno : r;
}
#define KERNEL 0xffff800000001000L
int main(void) {
    char buffer[64];
    long results[] = {
        call(SYS_read, 0, KERNEL, 16, 0, 0, 0),
        call(SYS_write, 1, KERNEL, 16, 0, 0, 0),
        call(SYS_write, 1, 0x1000, 1L << 40, 0, 0, 0),
        call(SYS_openat, AT_FDCWD, KERNEL, 0, 0, 0, 0),
        call(SYS_openat, AT_FDCWD, (long)"linuxhostile", O_DIRECTORY, 0, 0, 0),
        call(SYS_newfstatat, AT_FDCWD, (long)"/", KERNEL, 0, 0, 0),
        call(SYS_getdents64, 0, (long)buffer, 1L << 62, 0, 0, 0),
        call(SYS_mmap, 0, 1L << 50, 3, 0x22, -1, 0),
        call(SYS_mmap, 0x1000, 0x1000, 3, 0x32, -1, 0) == 0x1000,
        call(SYS_munmap, 0x1001, 0x1000, 0, 0, 0, 0),
        call(SYS_mprotect, KERNEL, 0x1000, 7, 0, 0, 0),
        call(SYS_rt_sigaction, 2, KERNEL, 0, 8, 0, 0),
        call(SYS_wait4, -1, KERNEL, 0, 0, 0, 0),
        call(SYS_execve, KERNEL, 0, 0, 0, 0, 0),
        call(SYS_execve, (long)"src.c", 0, 0, 0, 0, 0),
        call(SYS_execve, (long)"/", 0, 0, 0, 0, 0),
        call(SYS_readv, 0, KERNEL, 4, 0, 0, 0),
        call(SYS_writev, 1, (long)buffer, 100000, 0, 0, 0),
        call(SYS_arch_prctl, 0x1002, KERNEL, 0, 0, 0, 0),
        call(SYS_uname, KERNEL, 0, 0, 0, 0, 0),
        call(SYS_clock_gettime, 0, KERNEL, 0, 0, 0, 0),
        call(SYS_getcwd, KERNEL, 100, 0, 0, 0, 0),
        call(SYS_getrandom, KERNEL, 1L << 40, 0, 0, 0, 0),
        call(SYS_ioctl, 1, 0x5401, KERNEL, 0, 0, 0),
        call(SYS_pipe2, KERNEL, 0, 0, 0, 0, 0),
        call(SYS_dup3, 1, 1 << 20, 0, 0, 0, 0),
        call(SYS_fcntl, 1, 0, 1 << 20, 0, 0, 0),
        call(1000, 0, 0, 0, 0, 0, 0),
    };
    for (unsigned i = 0; i < sizeof results / sizeof results[0]; i++) printf("%ld\n", results[i]);
    printf("survived\n");
    return 0;
}
