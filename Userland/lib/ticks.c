/* Benchmark time: see ticks.h. */
#include <ticks.h>

unsigned long ticks(void) {
    unsigned int low, high;
    __asm__ volatile("lfence; rdtsc" : "=a"(low), "=d"(high));
    return (unsigned long)high << 32 | low;
}

unsigned long median(unsigned long *values, int count) {
    for (int i = 1; i < count; i++) {
        for (int j = i; j > 0 && values[j - 1] > values[j]; j--) {
            unsigned long swap = values[j]; values[j] = values[j - 1]; values[j - 1] = swap;
        }
    }
    return values[count / 2];
}
