// Random bytes for the Embedded Swift runtime (the seed of Swift's hashing): RDRAND when the
// CPU has it (ABI.md: the CPU model offers it), else the time stamp counter stirred with a
// xorshift (Intel SDM Vol. 2B, RDRAND and RDTSC).
#include <stddef.h>
#include <stdint.h>
#include "X86_64Support.h"

static int has_rdrand(void) {
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    return (c >> 30) & 1;
}

void arc4random_buf(void *buffer, size_t count) {
    uint8_t *bytes = buffer;
    uint64_t state;
    __asm__ volatile("rdtsc; shl $32, %%rdx; or %%rdx, %%rax" : "=a"(state) : : "rdx");
    int rdrand = has_rdrand();
    for (size_t i = 0; i < count; i++) {
        if (i % 8 == 0) {
            uint64_t value = 0;
            unsigned char ok = 0;
            if (rdrand) __asm__ volatile("rdrand %0; setc %1" : "=r"(value), "=qm"(ok));
            state ^= ok ? value : state << 13;
            state ^= state >> 7;
            state ^= state << 17;
        }
        bytes[i] = (uint8_t)(state >> (8 * (i % 8)));
    }
}
