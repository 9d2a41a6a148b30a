/* stdinsum: reads standard input to its end in 64 KiB reads and prints how many bytes came
 * and their FNV-1a 64-bit hash, so a test can check that any amount of input arrived byte
 * for byte without the program holding it. */
#include <stdio.h>
#include <syscall.h>

#define FNV_OFFSET_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static unsigned char buffer[65536];

int main(void) {
    unsigned long long total = 0, hash = FNV_OFFSET_BASIS;
    for (;;) {
        ssize_t count = read(0, buffer, sizeof buffer);
        if (count == 0) break;
        if (count < 0) {
            printf("read failed: %ld\n", (long)count);
            return 1;
        }
        for (ssize_t i = 0; i < count; i++) {
            hash ^= buffer[i];
            hash *= FNV_PRIME;
        }
        total += (unsigned long long)count;
    }
    printf("%llu bytes, fnv1a %016llx\n", total, hash);
    return 0;
}
