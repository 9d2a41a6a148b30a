/* A directory entry as `readdir` fills it (ABI.md §6), KeOS's layout: 264 bytes, the inode
 * number then the name, NUL-terminated. A directory lists `.` and `..` first, then its
 * entries in the order they were made (a freed slot may be taken again).
 *
 *     struct dirent entries[16];
 *     ssize_t count;
 *     while ((count = readdir(fd, entries, 16)) > 0)
 *         for (ssize_t i = 0; i < count; i++) puts(entries[i].name);
 */
#ifndef DIRENT_H
#define DIRENT_H
#include <stddef.h>
#include <stdint.h>
#include <syscall.h>

/* The longest name of one path component, in bytes (NameTooLong beyond). */
#define NAME_MAX 251

struct dirent {
    uint64_t ino;   /* the inode number (never 0 for an entry readdir returns) */
    char name[256]; /* NUL-terminated */
};

_Static_assert(sizeof(struct dirent) == 264, "a readdir entry is 264 bytes (ABI.md §6)");
_Static_assert(offsetof(struct dirent, ino) == 0, "ino at 0");
_Static_assert(offsetof(struct dirent, name) == 8, "name at 8");

/* True for the entries every directory has: `.` and `..`. */
static inline int dirent_is_dot(const struct dirent *entry) {
    const char *n = entry->name;
    return n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0));
}

#endif
