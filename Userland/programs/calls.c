/* calls N: makes N cheap system calls (`tell` on a descriptor that is not open, which the
 * kernel refuses at once) and says how many it made, for measuring what tracing costs. */
#include <stdio.h>
#include <stdlib.h>
#include <syscall.h>

int main(int argc, char **argv) {
    long count = argc > 1 ? strtol(argv[1], 0, 10) : 1000000;
    long refused = 0;
    for (long i = 0; i < count; i++) {
        if (tell(99) < 0) refused++;
    }
    printf("%ld calls, %ld refused\n", count, refused);
    return refused == count ? 0 : 1;
}
