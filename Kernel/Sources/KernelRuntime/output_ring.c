// The output rings: memory the host reads while the machine runs (the program's standard
// output and error, memory maps, the system call trace).
//
// When `apus` backs the machine's RAM with a file it also maps (QEMU's memory-backend-file,
// shared), a ring buffer in the kernel's memory is a channel to the host with no device in
// between: the kernel copies a program's bytes in and moves `written` on; the host copies
// them out and moves `read` on. Both counters only grow (64 bits never wrap). When the ring
// is full the kernel waits for the host. Under software emulation this moves tens of MB/s,
// where a port write per byte moves well under one.
//
// The kernel tells the host where the rings are with a status record (RunRecord
// `outputRings`: their physical address and size); `apus` says the rings are read by giving
// the stdout debug console port a readback value of its own (Serial.swift).
#include <stdint.h>
#include "KernelRuntime.h"
#include "X86_64Support.h"

void *memcpy(void *destination, const void *source, uint64_t count);

// In .bss by name: the large code model would put an object this size in .lbss, which the
// linker script does not place.
struct apus_output_rings apus_output_rings __attribute__((aligned(4096), section(".bss.apus_output_rings")));

void apus_output_ring_write(uint32_t stream, const void *bytes, uint64_t count) {
    struct apus_output_ring *ring = &apus_output_rings.ring[stream % APUS_OUTPUT_RING_COUNT];
    const uint8_t *next = bytes;
    uint64_t written = ring->written;
    while (count > 0) {
        uint64_t free = APUS_OUTPUT_RING_SIZE - (written - ring->read);
        if (free == 0) {
            cpu_pause();
            continue;
        }
        uint64_t at = written % APUS_OUTPUT_RING_SIZE;
        uint64_t chunk = count;
        if (chunk > free) chunk = free;
        if (chunk > APUS_OUTPUT_RING_SIZE - at) chunk = APUS_OUTPUT_RING_SIZE - at;
        memcpy((void *)&ring->data[at], next, chunk);
        // The bytes before the counter that publishes them (x86 keeps stores in order; this
        // keeps the compiler from reordering them).
        __asm__ volatile("" ::: "memory");
        written += chunk;
        ring->written = written;
        next += chunk;
        count -= chunk;
    }
}

uint64_t apus_output_rings_physical_address(void) {
    return (uint64_t)&apus_output_rings - KERNEL_VMA;
}
