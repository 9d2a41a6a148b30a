/* mkdir [-p] DIR...: makes each DIR (ABI.md §6: mkdir).
 *
 * Without -p, the parent must exist and DIR must not (FileExist). With -p, every missing
 * directory on the way is made, and a DIR that is already a directory is no error; a regular
 * file on the way is NotDirectory, and one at DIR itself FileExist.
 *
 * Errors go to standard error as `mkdir: DIR: ErrorName`; the other DIRs are still made,
 * and the status is then 1 (2 for a usage error). */
#include <stat.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

/* Makes `path` and every missing directory above it; returns 0 or the error. The path is
 * cut at each `/` in turn (and put back): the program's arguments are its own memory. */
static int make_parents(char *path) {
    for (char *slash = path; (slash = strchr(slash + 1, '/')) != 0;) {
        if (slash[-1] == '/') continue; /* repeated slashes: one component */
        *slash = 0;
        int result = mkdir(path);
        *slash = '/';
        if (result < 0 && result != -FileExist) return result;
    }
    int result = mkdir(path);
    if (result != -FileExist) return result;
    struct stat st;
    if (stat(path, &st) == 0 && st.type == FILE_TYPE_DIRECTORY) return 0;
    return result;
}

int main(int argc, char **argv) {
    int parents = 0, first = 1, failed = 0;
    if (first < argc && strcmp(argv[first], "-p") == 0) { parents = 1; first++; }
    if (first == argc || argv[first][0] == '-') {
        eprintf("usage: mkdir [-p] DIR...\n");
        return 2;
    }
    for (int i = first; i < argc; i++) {
        int result = parents ? make_parents(argv[i]) : mkdir(argv[i]);
        if (result < 0) {
            eprintf("mkdir: %s: %s\n", argv[i], strerror(result));
            failed = 1;
        }
    }
    return failed;
}
