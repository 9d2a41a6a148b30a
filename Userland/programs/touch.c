/* touch FILE...: makes each FILE that does not exist, empty (ABI.md §6: create). A FILE that
 * exists is left as it is: the file system keeps no times, so there is nothing to change.
 *
 * Errors go to standard error as `touch: FILE: ErrorName` (a missing parent is NoSuchEntry);
 * the other FILEs are still made, and the status is then 1 (2 for a usage error). */
#include <stat.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        eprintf("usage: touch FILE...\n");
        return 2;
    }
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0) continue;
        int result = create(argv[i]);
        /* Made by someone else in between: it exists, which is all touch promises. */
        if (result < 0 && result != -FileExist) {
            eprintf("touch: %s: %s\n", argv[i], strerror(result));
            failed = 1;
        }
    }
    return failed;
}
