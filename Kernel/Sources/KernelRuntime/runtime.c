// The heap entry points the Embedded Swift runtime calls for every object, forwarding to
// the Swift heap (KernelHeap.swift) under the heap's own lock. (The memory copies are
// memory_functions.S and the random bytes for Swift's hashing seed random.c, both in
// arch/x86_64/support.)
//
// The heap's lock is a spinlock every CPU takes for every allocation and free: a word that
// holds 0 when free, else the holder's CPU index + 1, taken with interrupts off (an interrupt
// handler on the holding CPU that allocated would wait for itself). It is the innermost lock
// of the kernel: nothing is taken while it is held (LockMap.swift).
#include <stddef.h>
#include <stdint.h>
#include "X86_64Support.h"

enum { NO_MEMORY = 12, INVALID_ARGUMENT = 22 };

void *apus_heap_allocate(long size, long alignment);
void apus_heap_free(void *pointer);
void apus_heap_exhausted(long size);
void apus_heap_lock_reentered(void);

static volatile uint64_t heap_lock;

static uint64_t lock_heap(void) {
    uint64_t flags = save_flags_and_disable_interrupts();
    uint64_t owner = cpu_local_index() + 1;
    if (heap_lock == owner) apus_heap_lock_reentered();
    uint64_t expected = 0;
    while (!__atomic_compare_exchange_n(&heap_lock, &expected, owner, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        expected = 0;
        cpu_pause();
    }
    return flags;
}

static void unlock_heap(uint64_t flags) {
    __atomic_store_n(&heap_lock, 0, __ATOMIC_RELEASE);
    restore_interrupts(flags);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return INVALID_ARGUMENT;
    uint64_t flags = lock_heap();
    void *block = apus_heap_allocate((long)size, (long)alignment);
    unlock_heap(flags);
    if (!block) apus_heap_exhausted((long)size);
    *result = block;
    return 0;
}

void free(void *pointer) {
    if (!pointer) return;
    uint64_t flags = lock_heap();
    apus_heap_free(pointer);
    unlock_heap(flags);
}
