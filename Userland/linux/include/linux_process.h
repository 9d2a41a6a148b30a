/* Starting another program, for a program built for Linux (`apus bench` starts busybox):
 * execve and wait4, which KeOS's system calls have no counterpart of, so only the Linux
 * build has them. On Apus the same build runs as a Linux program (ABI.md §7). */
#ifndef LINUX_PROCESS_H
#define LINUX_PROCESS_H

/* Replaces the calling process's program with the one at `path` (execve(2)); `argv` and
 * `envp` each end in a null pointer. Returns only when it fails: a negative Linux errno. */
long linux_execve(const char *path, char *const argv[], char *const envp[]);

/* Waits for the child `pid` to end (wait4(2), waiting again when a signal interrupts it) and
 * returns its status as Linux encodes it (0: it exited with status 0), or a negative Linux
 * errno (ECHILD: no such child). */
long linux_wait(int pid);

#endif
