// The heap entry points the Embedded Swift runtime calls for every object, forwarding to
// the Swift heap (KernelHeap.swift). (The memory copies are memory_functions.S and the
// random bytes for Swift's hashing seed random.c, both in arch/x86_64/support.)
#include <stddef.h>
#include <stdint.h>

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
