/* nthrun S1 S2 …: exits with S1 the first time it runs on a disk, S2 the second, and so on
 * (0 after the last), counting its runs in the file `nthrun.count` (one byte a run): for
 * testing which status `apus run --repeat` exits with. */
#include <fcntl.h>
#include <stdlib.h>
#include <syscall.h>

int main(int argc, char **argv) {
    create("nthrun.count"); /* FileExist after the first run */
    int fd = open("nthrun.count", O_RDWR);
    if (fd < 0) return 100;
    int runs = (int)seek(fd, 0, SEEK_END);
    if (write(fd, "x", 1) != 1) return 101;
    close(fd);
    return runs + 1 < argc ? atoi(argv[runs + 1]) : 0;
}
