// The x86-64 support of the kernel: the CPU instructions Swift cannot say, as static inline
// functions (Intel SDM Vol. 2), and the symbols the assembly files of this folder and the
// linker script provide.
#ifndef APUS_X86_64_SUPPORT_H
#define APUS_X86_64_SUPPORT_H

#include <stdint.h>

// MARK: The memory functions of memory_functions.S
#include <stddef.h>
void *memset(void *destination, int byte, size_t count);
void *memcpy(void *destination, const void *source, size_t count);
void *memmove(void *destination, const void *source, size_t count);
int memcmp(const void *a, const void *b, size_t count);

// MARK: Port I/O
static inline void outb(uint16_t port, uint8_t value) { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t value; __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port)); return value; }
static inline void outl(uint16_t port, uint32_t value) { __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t value) { __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port)); }
static inline uint16_t inw(uint16_t port) { uint16_t value; __asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port)); return value; }
static inline uint32_t inl(uint16_t port) { uint32_t value; __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port)); return value; }
// `count` bytes from `bytes` to one port, with one instruction (rep outsb).
static inline void outsb(uint16_t port, const void *bytes, uint64_t count) {
    __asm__ volatile("rep outsb" : "+S"(bytes), "+c"(count) : "d"(port) : "memory");
}

// MARK: Control registers and MSRs
static inline uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline uint64_t rdmsr(uint32_t msr) {
    uint32_t low, high;
    __asm__ volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(msr));
    return ((uint64_t)high << 32) | low;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void invlpg(uint64_t address) { __asm__ volatile("invlpg (%0)" : : "r"(address) : "memory"); }
static inline uint64_t read_rbp(void) { uint64_t v; __asm__ volatile("mov %%rbp, %0" : "=r"(v)); return v; }

// MARK: CPUID (Intel SDM Vol. 2A, CPUID)
static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(subleaf));
}

// MARK: Descriptor tables
struct __attribute__((packed)) DescriptorTablePointer { uint16_t limit; uint64_t base; };
static inline void lidt(const struct DescriptorTablePointer *p) { __asm__ volatile("lidt (%0)" : : "r"(p) : "memory"); }
static inline void ltr(uint16_t selector) { __asm__ volatile("ltr %0" : : "r"(selector)); }

// MARK: Halting
static inline void halt_forever(void) { for (;;) __asm__ volatile("cli; hlt"); }
static inline void cpu_pause(void) { __asm__ volatile("pause"); }
// The vectors of the 8259s' spurious IRQ 7 and 15, raised by software (the kernel's checks).
static inline void raise_vector_39(void) { __asm__ volatile("int $39" ::: "memory"); }
static inline void raise_vector_47(void) { __asm__ volatile("int $47" ::: "memory"); }
// The time-stamp counter (RDTSC, SDM Vol. 2B), for the kernel's own measurements.
static inline uint64_t read_tsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return (uint64_t)hi << 32 | lo; }

// MARK: Symbols of boot.S, trap_entry.S and the linker script
extern uint64_t boot_multiboot_magic;
extern uint64_t boot_multiboot_info;
extern const uint64_t trap_stubs[256];

// MARK: Probes (trap_entry.S): 0 when the access worked, 1 when it faulted.
extern volatile uint8_t probe_armed;
extern uint64_t probe_resume;
int probe_read(const volatile uint8_t *address, uint8_t *value);
int probe_write(volatile uint8_t *address, uint8_t value);
int probe_call(uint64_t (*function)(void), uint64_t *result);

// MARK: A CPU's own data, through GS (cpu_local.h gives the offsets to the assembly)
// What the assembly of every CPU needs of its own: its kernel stack for `syscall`, a place
// for the user's stack pointer, its number, and whether the running thread must end once
// its handler returns, and whether it runs a path that frees (KernelHeap.whileFreeing, in
// which an allocation is a kernel bug). A TLB shootdown's request to the CPU sits here too.
#define APUS_SHOOTDOWN_PAGES 33
struct apus_cpu_local {
    struct apus_cpu_local *self;      // 0: the area's own address (GS base reads it back)
    uint64_t kernel_stack_top;        // 8: the stack `syscall` lands on (the running thread's)
    uint64_t user_rsp;                // 16: the user's rsp while the entry saves it
    uint64_t index;                   // 24: the CPU's CPUIndex
    volatile uint8_t exit_pending;    // 32: end the running thread once its handler returns
    uint8_t freeing_depth;            // 33: how many freeing paths this CPU runs (they nest)
    uint8_t reserved[6];
    // A TLB shootdown asked of this CPU (TLBShootdown.swift): pending until it is done.
    volatile uint64_t shootdown_pending;      // 40
    uint64_t shootdown_root;                  // 48: the address space's page table root
    uint64_t shootdown_count;                 // 56: pages listed; 0 = every translation
    uint64_t shootdown_pages[APUS_SHOOTDOWN_PAGES];
};
_Static_assert(__builtin_offsetof(struct apus_cpu_local, exit_pending) == 32, "cpu_local.h");
extern struct apus_cpu_local apus_boot_cpu_local;
static inline struct apus_cpu_local *cpu_local(void) { struct apus_cpu_local *v; __asm__ volatile("movq %%gs:0, %0" : "=r"(v)); return v; }
static inline uint64_t cpu_local_index(void) { uint64_t v; __asm__ volatile("movq %%gs:24, %0" : "=r"(v)); return v; }
static inline void cpu_local_set_exit_pending(void) { __asm__ volatile("movb $1, %%gs:32" ::: "memory"); }
static inline uint8_t cpu_local_exit_pending(void) { uint8_t v; __asm__ volatile("movb %%gs:32, %0" : "=r"(v)); return v; }
static inline void cpu_local_clear_exit_pending(void) { __asm__ volatile("movb $0, %%gs:32" ::: "memory"); }
static inline uint8_t cpu_local_freeing_depth(void) { uint8_t v; __asm__ volatile("movb %%gs:33, %0" : "=r"(v)); return v; }
static inline void cpu_local_set_freeing_depth(uint8_t depth) { __asm__ volatile("movb %0, %%gs:33" :: "r"(depth) : "memory"); }
// Makes `area` this CPU's: GS base (the kernel's while it runs) and KERNEL_GS_BASE (the
// user's, 0, which `swapgs` exchanges on the way to ring 3).
// A word other CPUs read: the writes before a release are seen by whoever acquires it.
static inline void atomic_store_release(volatile uint64_t *word, uint64_t value) { __atomic_store_n(word, value, __ATOMIC_RELEASE); }
static inline uint64_t atomic_load_acquire(volatile uint64_t *word) { return __atomic_load_n(word, __ATOMIC_ACQUIRE); }
static inline void cpu_local_install(struct apus_cpu_local *area) {
    area->self = area;
    wrmsr(0xC0000101, (uint64_t)area);
    wrmsr(0xC0000102, 0);
}

// MARK: User mode (syscall_entry.S) and threads (context_switch.S)
void syscall_entry(void);
// The FXSAVE image every program starts from (syscall_entry.S), and its address for Swift (which
// would copy the array if it took its address itself).
extern const uint8_t clean_fpu_state[512];
static inline const void *clean_fpu_state_address(void) { return clean_fpu_state; }
// Saves the callee-saved registers and the stack pointer in *saved_stack_pointer, and goes on
// where the thread whose stack pointer is next_stack_pointer called switch_context.
void switch_context(uint64_t *saved_stack_pointer, uint64_t next_stack_pointer);
// Where a new thread's first switch_context returns to.
void thread_first_entry(void);
// Where a new kernel thread's first switch_context returns to: it runs the thread's work
// (apus_kernel_thread_main), then ends the thread.
void kernel_thread_first_entry(void);

// MARK: FPU and SSE state (Intel SDM Vol. 1 §10.5)
/* The data segment selectors a program may have loaded (DS, ES, FS, GS), 16 bits each from
 * the lowest: thread state that switch_context keeps per thread. */
static inline uint64_t read_data_segments(void) {
    uint64_t ds, es, fs, gs;
    __asm__ volatile("mov %%ds, %k0; mov %%es, %k1; mov %%fs, %k2; mov %%gs, %k3" : "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs));
    return (ds & 0xFFFF) | (es & 0xFFFF) << 16 | (fs & 0xFFFF) << 32 | (gs & 0xFFFF) << 48;
}
static inline void fxsave(void *area) { __asm__ volatile("fxsave (%0)" : : "r"(area) : "memory"); }
static inline void fxrstor(const void *area) { __asm__ volatile("fxrstor (%0)" : : "r"(area) : "memory"); }

// MARK: Memory a device reads and writes (virtio rings: virtio 1.1 §2.6.13)
// Loads the compiler may neither drop nor merge (the device changes the memory), and a
// full barrier: every earlier store is visible to the device before any later access.
static inline uint8_t volatile_load8(const void *address) { return *(const volatile uint8_t *)address; }
static inline uint16_t volatile_load16(const void *address) { return *(const volatile uint16_t *)address; }
static inline uint32_t volatile_load32(const void *address) { return *(const volatile uint32_t *)address; }
static inline void volatile_store16(void *address, uint16_t value) { *(volatile uint16_t *)address = value; }
static inline void memory_barrier(void) { __asm__ volatile("mfence" : : : "memory"); }

// MARK: Interrupts
static inline void enable_interrupts_and_halt(void) { __asm__ volatile("sti; hlt; cli" : : : "memory"); }
// RFLAGS, then interrupts off: what a lock saves before it spins (IF is bit 9).
static inline uint64_t save_flags_and_disable_interrupts(void) { uint64_t f; __asm__ volatile("pushfq; popq %0; cli" : "=r"(f) : : "memory"); return f; }
static inline void restore_interrupts(uint64_t flags) { if (flags & (1 << 9)) __asm__ volatile("sti" ::: "memory"); }
// Memory-mapped registers (the local APIC, the I/O APIC): 32-bit accesses that the compiler
// may neither merge nor drop.
static inline uint32_t mmio_read32(uint64_t address) { return *(volatile uint32_t *)address; }
static inline void mmio_write32(uint64_t address, uint32_t value) { *(volatile uint32_t *)address = value; }
// The kernel's GDT as boot.S made it, copied for each CPU (each has its own TSS descriptor).
extern uint64_t gdt[7];
struct __attribute__((packed)) GDTPointer { uint16_t limit; uint64_t base; };
// Loads `pointer` as the GDT and reloads the kernel's code and data segments from it.
void load_gdt(const struct GDTPointer *pointer);
// The application processors' start (ap_trampoline.S): real-mode code copied to a page
// below 1 MiB, and the fields the bootstrap processor fills before each start.
extern const uint8_t ap_trampoline_start[], ap_trampoline_end[];
struct __attribute__((packed)) apus_ap_start {
    uint32_t cr3;               // a page table that maps the trampoline's page 1:1 and the kernel
    uint64_t stack_top;         // the AP's boot stack
    uint64_t cpu_local;         // its struct apus_cpu_local
    volatile uint64_t started;  // set by the AP once it has read the fields above
};
// The offset of struct apus_ap_start in the trampoline.
extern const uint8_t ap_trampoline_parameters[];
static inline uint64_t ap_trampoline_size(void) { return (uint64_t)(ap_trampoline_end - ap_trampoline_start); }
static inline uint64_t ap_trampoline_parameters_offset(void) { return (uint64_t)(ap_trampoline_parameters - ap_trampoline_start); }
static inline const void *ap_trampoline_code(void) { return ap_trampoline_start; }
// The boot page tables (boot.S): the first 4 GiB 1:1, the direct map, the kernel image and heap.
static inline uint64_t boot_page_table_root(void) { extern uint8_t boot_pml4[]; return (uint64_t)boot_pml4 - 0x0000507FC0000000ull; }

// The addresses the linker script defines, as integers for Swift.
#define LINKER_ADDRESS(name, symbol) \
    static inline uint64_t name(void) { extern char symbol[]; return (uint64_t)symbol; }
LINKER_ADDRESS(text_start, __text_start)
LINKER_ADDRESS(text_end, __text_end)
LINKER_ADDRESS(rodata_end, __rodata_end)
LINKER_ADDRESS(image_end, __image_end)
#define KERNEL_VMA 0x0000507FC0000000ull
// The kernel heap's frames, chosen at boot (heap_frames.S).
extern uint64_t boot_heap_physical_start, boot_heap_physical_end;
static inline uint64_t heap_physical_start(void) { return boot_heap_physical_start; }
static inline uint64_t heap_physical_end(void) { return boot_heap_physical_end; }

#endif
