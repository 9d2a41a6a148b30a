/* The system call wrappers, each a call of syscall6 (syscall6.c) with its number. */
#include <mman.h>
#include <syscall.h>
#include <thread.h>

void exit(int status) {
    syscall6(SYS_EXIT, status, 0, 0, 0, 0, 0);
    for (;;) {}
}
ssize_t open(const char *path, int mode) { return syscall6(SYS_OPEN, (long)path, mode, 0, 0, 0, 0); }
ssize_t read(int fd, void *buffer, size_t count) { return syscall6(SYS_READ, fd, (long)buffer, (long)count, 0, 0, 0); }
ssize_t write(int fd, const void *buffer, size_t count) { return syscall6(SYS_WRITE, fd, (long)buffer, (long)count, 0, 0, 0); }
off_t seek(int fd, off_t offset, int whence) { return syscall6(SYS_SEEK, fd, offset, whence, 0, 0, 0); }
off_t tell(int fd) { return syscall6(SYS_TELL, fd, 0, 0, 0, 0, 0); }
int close(int fd) { return (int)syscall6(SYS_CLOSE, fd, 0, 0, 0, 0, 0); }
int pipe(int fds[2]) { return (int)syscall6(SYS_PIPE, (long)fds, 0, 0, 0, 0, 0); }
int fork(void) { return (int)syscall6(SYS_FORK, 0, 0, 0, 0, 0, 0); }
int thread_create(const char *name, void *stack, int (*fn)(void *), void *arg) {
    return (int)syscall6(SYS_THREAD_CREATE, (long)name, (long)stack, (long)fn, (long)arg, 0, 0);
}
int thread_join(int tid, int *status) { return (int)syscall6(SYS_THREAD_JOIN, tid, (long)status, 0, 0, 0, 0); }
void exit_group(int status) {
    syscall6(SYS_EXIT_GROUP, status, 0, 0, 0, 0, 0);
    for (;;) {}
}
long getphys(void *address, int mode) { return syscall6(SYS_GETPHYS, (long)address, mode, 0, 0, 0, 0); }
void *mmap(void *address, size_t length, int prot, int fd, off_t offset) {
    return (void *)syscall6(SYS_MMAP, (long)address, (long)length, prot, fd, offset, 0);
}
int munmap(void *address) { return (int)syscall6(SYS_MUNMAP, (long)address, 0, 0, 0, 0, 0); }
int create(const char *path) { return (int)syscall6(SYS_CREATE, (long)path, 0, 0, 0, 0, 0); }
int mkdir(const char *path) { return (int)syscall6(SYS_MKDIR, (long)path, 0, 0, 0, 0, 0); }
int unlink(const char *path) { return (int)syscall6(SYS_UNLINK, (long)path, 0, 0, 0, 0, 0); }
int chdir(const char *path) { return (int)syscall6(SYS_CHDIR, (long)path, 0, 0, 0, 0, 0); }
ssize_t readdir(int fd, struct dirent *entries, size_t count) {
    return syscall6(SYS_READDIR, fd, (long)entries, (long)count, 0, 0, 0);
}
int stat(const char *path, struct stat *st) { return (int)syscall6(SYS_STAT, (long)path, (long)st, 0, 0, 0, 0); }
int fsync(int fd) { return (int)syscall6(SYS_FSYNC, fd, 0, 0, 0, 0, 0); }
