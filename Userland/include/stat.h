/* What `stat` says about a file (ABI.md §6), KeOS's layout: 32 bytes, the inode number at 0,
 * the type at 8, the size at 16, a zero at 24. There are no times, owners or permissions:
 * the file system has none. A directory's size is 4096 times the blocks it holds.
 *
 *     struct stat st;
 *     if (stat("notes", &st) == 0 && st.type == FILE_TYPE_DIRECTORY) ...
 */
#ifndef STAT_H
#define STAT_H
#include <stddef.h>
#include <stdint.h>
#include <syscall.h>

enum file_type { FILE_TYPE_REGULAR = 0, FILE_TYPE_DIRECTORY = 1 };

struct stat {
    uint64_t ino;      /* the inode number */
    uint32_t type;     /* enum file_type */
    uint64_t size;     /* in bytes */
    uint32_t reserved; /* 0 */
};

_Static_assert(sizeof(struct stat) == 32, "a stat record is 32 bytes (ABI.md §6)");
_Static_assert(offsetof(struct stat, ino) == 0, "ino at 0");
_Static_assert(offsetof(struct stat, type) == 8, "type at 8");
_Static_assert(offsetof(struct stat, size) == 16, "size at 16");
_Static_assert(offsetof(struct stat, reserved) == 24, "the zero at 24");

#endif
