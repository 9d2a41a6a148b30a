// The C runtime functions the Embedded Swift runtime needs beyond memory copies: the heap
// entry points (forwarding to the Swift heap in KernelHeap.swift) and random bytes for
// Swift's hashing seed. RDRAND when the CPU has it (ABI.md: the CPU model offers it), else the time
// stamp counter stirred with a xorshift.
#include <stddef.h>
#include <stdint.h>
#include "KernelSupport.h"

enum { NO_MEMORY = 12, INVALID_ARGUMENT = 22 };

void *apus_heap_allocate(long size, long alignment);
void apus_heap_free(void *pointer);

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return INVALID_ARGUMENT;
    void *block = apus_heap_allocate((long)size, (long)alignment);
    if (!block) return NO_MEMORY;
    *result = block;
    return 0;
}

void free(void *pointer) {
    if (pointer) apus_heap_free(pointer);
}

// Random bytes: RDRAND when the CPU has it (ABI.md: the CPU model offers it), else the time
// stamp counter stirred with a xorshift.
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
