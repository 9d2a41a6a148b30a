/* Time for benchmarks: the time-stamp counter (rdtsc, after lfence so that earlier
 * instructions have finished), and the median of a few runs. Under QEMU's software emulation
 * the counter follows the host's TSC. */
#ifndef TICKS_H
#define TICKS_H

/* The time-stamp counter now. */
unsigned long ticks(void);
/* The median of `count` values (sorts them in place). */
unsigned long median(unsigned long *values, int count);

#endif
