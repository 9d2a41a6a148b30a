// The program's input ring: standard input that the host brings while the machine runs.
//
// The mirror image of the output rings (output_ring.c): memory in the kernel's image that
// `apus` also maps, through the machine's RAM file. The host copies the bytes it reads from
// its own standard input (a terminal, a pipe, a file) in and moves `written` on; the kernel
// copies them out into a reading program and moves `read` on. When the host's input ends
// (Ctrl-D, the end of a file) it sets `ended`, after the last `written`. Both counters only
// grow. The host waits while the ring is full, so however much input there is, it holds at
// most the ring's size of it: the input streams, bounded.
//
// Nothing interrupts the kernel when bytes arrive: it looks at the ring when a program reads
// and at every timer tick (OutsideWakeSource.swift), and wakes the readers waiting for input.
//
// Ctrl-C at the host's terminal travels beside the bytes: while the kernel says it takes it
// (`takes_interrupts`, set while a Linux program leads the run), the host counts each press
// in `interrupts` instead of ending the run, and the kernel, which looks at the count at the
// same ticks, sends SIGINT to the console's foreground process group (TerminalInterrupts.swift).
// Ctrl-Z goes the same way, counted in `suspensions`, and becomes SIGTSTP.
// The other way, `terminal_modes` tells the host which modes its terminal is to follow (a
// shell's line editor reads key by key without echo: StreamedConsole.swift).
//
// An end of file at a terminal (Ctrl-D on an empty line) ends one read, not the input, while
// a Linux program leads the run, as on Linux: the host marks where it falls (`end_of_file`,
// the byte count then plus one), waits for the kernel to clear the mark once a read returned
// 0 for it, and reads on.
// The host is not trusted to keep the counters sane: a `written` more than a ring ahead
// counts as a full ring, never as more.
#include <stdint.h>
#include "KernelRuntime.h"
#include "X86_64Support.h"

void *memcpy(void *destination, const void *source, uint64_t count);

struct apus_input_ring apus_input_ring __attribute__((aligned(4096), section(".bss.apus_input_ring")));

uint64_t apus_input_ring_pending(void) {
    uint64_t limit = apus_input_ring.written;
    uint64_t mark = apus_input_ring.end_of_file;
    if (mark != 0 && mark - 1 < limit) limit = mark - 1;
    if (limit < apus_input_ring.read) return 0;
    uint64_t pending = limit - apus_input_ring.read;
    return pending > APUS_INPUT_RING_SIZE ? APUS_INPUT_RING_SIZE : pending;
}

int apus_input_ring_at_end_of_file(void) {
    uint64_t mark = apus_input_ring.end_of_file;
    return mark != 0 && apus_input_ring.read >= mark - 1;
}

void apus_input_ring_take_end_of_file(void) {
    apus_input_ring.end_of_file = 0;
}

int apus_input_ring_ended(void) {
    return apus_input_ring.ended == 1;
}

uint64_t apus_input_ring_take(void *destination, uint64_t count) {
    uint64_t pending = apus_input_ring_pending();
    if (count > pending) count = pending;
    uint64_t read = apus_input_ring.read;
    uint8_t *next = destination;
    uint64_t left = count;
    while (left > 0) {
        uint64_t at = read % APUS_INPUT_RING_SIZE;
        uint64_t chunk = left;
        if (chunk > APUS_INPUT_RING_SIZE - at) chunk = APUS_INPUT_RING_SIZE - at;
        memcpy(next, (const void *)&apus_input_ring.data[at], chunk);
        next += chunk;
        left -= chunk;
        read += chunk;
    }
    // The bytes are copied before the counter gives their room back to the host.
    __asm__ volatile("" ::: "memory");
    apus_input_ring.read = read;
    return count;
}

uint64_t apus_input_ring_interrupts(void) {
    return apus_input_ring.interrupts;
}

uint64_t apus_input_ring_suspensions(void) {
    return apus_input_ring.suspensions;
}

void apus_input_ring_set_takes_interrupts(int takes) {
    apus_input_ring.takes_interrupts = takes ? 1 : 0;
}

void apus_input_ring_set_terminal_modes(uint64_t modes) {
    apus_input_ring.terminal_modes = modes;
}

uint64_t apus_input_ring_physical_address(void) {
    return (uint64_t)&apus_input_ring - KERNEL_VMA;
}
