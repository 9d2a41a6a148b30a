/* execve and wait4 for a program built for Linux (include/linux_process.h). */
#include <linux_process.h>
#include <syscall.h>
#include "linux_abi.h"

long linux_execve(const char *path, char *const argv[], char *const envp[]) {
    return syscall6(LINUX_EXECVE, (long)path, (long)argv, (long)envp, 0, 0, 0);
}

long linux_wait(int pid) {
    int status = 0;
    long result;
    do result = syscall6(LINUX_WAIT4, pid, (long)&status, 0, 0, 0, 0);
    while (result == -LINUX_EINTR);
    return result < 0 ? result : status;
}
