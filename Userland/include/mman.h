#ifndef MMAN_H
#define MMAN_H
#include <stddef.h>
#include <syscall.h>
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
/* KeOS's mmap: five arguments, no flags; fd -1 maps anonymous zeroed memory. */
void *mmap(void *address, size_t length, int prot, int fd, off_t offset);
int munmap(void *address);
#endif
