/* Memory mappings for a KeOS program built for Linux (`apus bench --linux`).
 *
 * KeOS's mmap has no flags and KeOS's munmap takes only a mapping's start; Linux needs the
 * flags and the length. So the KeOS forms are not offered here: a program that runs on both
 * (bench.c) calls these two where it maps memory. Both go to the address given, anonymous
 * and private, never over an existing mapping (MAP_FIXED_NOREPLACE, Linux 4.17 and later). */
#ifndef MMAN_H
#define MMAN_H
#include <stddef.h>
#include <syscall.h>
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
/* Maps `length` bytes of zeroed memory, readable and writable, at `address`; with `populate`
 * every page gets its frame now (MAP_POPULATE), as Apus's eager pager does. */
void *mmap_linux(unsigned long address, size_t length, int populate);
int munmap_linux(void *address, size_t length);
#endif
