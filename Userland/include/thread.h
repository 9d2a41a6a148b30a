/* Threads (ABI.md §5), with the KeOS prototypes.
 *
 * A thread runs `fn(arg)` in the calling process, on a stack the program provides: pass the
 * top of it (the first address above it). Threads share the address space and the open
 * files; each has its own registers and stack. `thread_join` waits for a thread of the same
 * process to end and gives its status; `exit` ends only the calling thread, `exit_group` the
 * whole process. Returning from `fn` is a fault (there is no return address): end a thread
 * with `exit(status)`.
 *
 *     char *stack = mmap(0, STACK_SIZE, PROT_READ | PROT_WRITE, -1, 0);
 *     int tid = thread_create("worker", stack + STACK_SIZE, work, &job);
 *     int status;
 *     thread_join(tid, &status);
 */
#ifndef THREAD_H
#define THREAD_H

/* The stack size KeOS programs give a thread. */
#define STACK_SIZE 0x4000

/* Starts a thread at fn(arg) with its stack pointer just below `stack`; returns its id
 * (> 0), or BadAddress / InvalidArgument / NameTooLong / NoMemory, negated. */
int thread_create(const char *name, void *stack, int (*fn)(void *), void *arg);
/* Waits for thread `tid` of this process to end; stores its status at `status` unless it is
 * NULL, and returns 0. InvalidArgument for an unknown tid, the caller's own, or a thread
 * joined already; BadAddress when `status` is not writable. */
int thread_join(int tid, int *status);
/* Ends every thread of the process; the process's status is `status`. */
__attribute__((noreturn)) void exit_group(int status);

#endif
