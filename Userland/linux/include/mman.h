/* Memory mappings for a KeOS program built for Linux (`apus bench --linux`, and the host
 * tests that run the file programs on Linux).
 *
 * KeOS's five-argument mmap (no flags; fd -1 for anonymous memory, else a private mapping of
 * the file) and its one-argument munmap work here too: the shim maps at the address given,
 * never over an existing mapping (MAP_FIXED_NOREPLACE, Linux 4.17 and later), and remembers
 * each mapping's length for munmap. A program that wants Linux's own choices (bench.c) calls
 * the two `_linux` forms. */
#ifndef MMAN_H
#define MMAN_H
#include <stddef.h>
#include <syscall.h>
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
/* KeOS's mmap and munmap (ABI.md §4), over Linux's. */
void *mmap(void *address, size_t length, int prot, int fd, off_t offset);
int munmap(void *address);
/* Maps `length` bytes of zeroed memory, readable and writable, at `address`; with `populate`
 * every page gets its frame now (MAP_POPULATE), as Apus's eager pager does. */
void *mmap_linux(unsigned long address, size_t length, int populate);
int munmap_linux(void *address, size_t length);
#endif
