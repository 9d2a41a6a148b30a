/* The Apus (and KeOS) system calls (ABI.md §1). Each returns a negative error code on
 * failure: test `r < 0 && -r < 0x100`. */
#ifndef SYSCALL_H
#define SYSCALL_H

#include <stddef.h>
#include <stdint.h>

typedef long ssize_t;
typedef long off_t;

enum syscall_number {
    SYS_EXIT = 0, SYS_OPEN = 1, SYS_READ = 2, SYS_WRITE = 3, SYS_SEEK = 4, SYS_TELL = 5,
    SYS_CLOSE = 6, SYS_PIPE = 7, SYS_MMAP = 8, SYS_MUNMAP = 9, SYS_FORK = 10,
    SYS_THREAD_CREATE = 11, SYS_THREAD_JOIN = 12, SYS_EXIT_GROUP = 13,
    SYS_CREATE = 14, SYS_MKDIR = 15, SYS_UNLINK = 16, SYS_CHDIR = 17, SYS_READDIR = 18,
    SYS_STAT = 19, SYS_FSYNC = 20,
    SYS_GETPHYS = 0x81,
};

/* Error codes, as negative return values carry them. */
enum error_code {
    OperationNotPermitted = 1, NoSuchEntry = 2, IOError = 5, NoExec = 8, BadFileDescriptor = 9,
    NoMemory = 12, InvalidAccess = 13, BadAddress = 14, Busy = 16, FileExist = 17,
    NotDirectory = 20, IsDirectory = 21, InvalidArgument = 22, TooManyOpenFile = 24,
    NoSpace = 28, BrokenPipe = 32, NameTooLong = 36, NoSuchSyscall = 38, DirectoryNotEmpty = 39,
};

long syscall6(long number, long a, long b, long c, long d, long e, long f);

__attribute__((noreturn)) void exit(int status);
ssize_t open(const char *path, int mode);
ssize_t read(int fd, void *buffer, size_t count);
ssize_t write(int fd, const void *buffer, size_t count);
off_t seek(int fd, off_t offset, int whence);
off_t tell(int fd);
int close(int fd);
int pipe(int fds[2]);
int fork(void);
long getphys(void *address, int mode);

/* The file system (ABI.md §6). Paths are absolute or relative to the current directory;
 * the records `readdir` and `stat` fill are in dirent.h and stat.h. */
struct dirent;
struct stat;
/* A new empty regular file (not opened): FileExist, NoSuchEntry (no parent), NotDirectory. */
int create(const char *path);
/* A new directory holding `.` and `..`: FileExist, NoSuchEntry, NotDirectory. */
int mkdir(const char *path);
/* Removes a regular file or an empty directory: NoSuchEntry, DirectoryNotEmpty, Busy (a last
 * component `.` or `..`). An open file lives on until its last fd closes. */
int unlink(const char *path);
/* Makes `path` the current directory: NoSuchEntry, NotDirectory. */
int chdir(const char *path);
/* Fills up to `count` entries of the directory open at `fd`, from where the last call on
 * this fd stopped (`.` and `..` first); returns how many, 0 at the end. NotDirectory,
 * BadFileDescriptor, BadAddress. */
ssize_t readdir(int fd, struct dirent *entries, size_t count);
/* Writes the 32-byte record of `path` to `st`: NoSuchEntry, NotDirectory, BadAddress. */
int stat(const char *path, struct stat *st);
/* Returns once the file's bytes and the metadata that reach them are on the disk. */
int fsync(int fd);

#endif
