// What the kernel needs in C that is not hardware: the heap entry points the Embedded Swift
// runtime calls (runtime.c), and the program's output and input rings, memory shared with
// the host (output_ring.c, input_ring.c).
#ifndef APUS_KERNEL_RUNTIME_H
#define APUS_KERNEL_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

// MARK: Output rings (output_ring.c)
// Byte layout the host relies on (apus, Machine.swift): per ring, `written` at 0, `read` at 8,
// data at 64; ring 1 starts APUS_OUTPUT_RING_STRIDE bytes after ring 0.
// Four rings of 512 KiB less 32 bytes: with their counters they take exactly the room of
// two of 1 MiB, so the kernel image, and where the boot modules land after it, stay put.
#define APUS_OUTPUT_RING_SIZE ((1ull << 19) - 32)
#define APUS_OUTPUT_RING_STRIDE (64 + APUS_OUTPUT_RING_SIZE)
struct apus_output_ring {
    volatile uint64_t written; // bytes the kernel has put in, ever
    volatile uint64_t read;    // bytes the host has taken out, ever
    uint64_t reserved[6];
    volatile uint8_t data[APUS_OUTPUT_RING_SIZE];
};
// Ring 0: the program's standard output (and its standard error where the host joins them);
// 1: its standard error; 2: memory-map records (MemoryMapReport.swift); 3: system call trace
// records (SyscallTracing.swift).
#define APUS_OUTPUT_RING_COUNT 4
struct apus_output_rings { struct apus_output_ring ring[APUS_OUTPUT_RING_COUNT]; };
// Copies `count` bytes into ring `stream` (0 to 3), waiting for the host while it is full.
void apus_output_ring_write(uint32_t stream, const void *bytes, uint64_t count);
uint64_t apus_output_rings_physical_address(void);
static inline uint64_t apus_output_ring_size(void) { return APUS_OUTPUT_RING_SIZE; }
static inline uint32_t apus_output_ring_count(void) { return APUS_OUTPUT_RING_COUNT; }

// MARK: The input ring (input_ring.c)
// Byte layout the host relies on (apus, InputRing.swift): `written` at 0 (the host's),
// `read` at 8 (the kernel's), `ended` at 16 (the host's: 1 once no byte will follow),
// `interrupts` at 24 (the host's), `takes_interrupts` at 32 and `terminal_modes` at 40 (the
// kernel's), `end_of_file` at 48 (the host sets it, the kernel clears it), `suspensions` at
// 56 (the host's), data at 64.
#define APUS_INPUT_RING_SIZE (1ull << 20)
struct apus_input_ring {
    volatile uint64_t written; // bytes the host has put in, ever
    volatile uint64_t read;    // bytes the kernel has taken out, ever
    volatile uint64_t ended;   // 1 once the host's input has ended (set after the last `written`)
    volatile uint64_t interrupts;       // Ctrl-C presses at the host's terminal passed on, ever
    volatile uint64_t takes_interrupts; // 1 while the run takes Ctrl-C itself (else it ends the run)
    volatile uint64_t terminal_modes;   // the modes a program set for the terminal (TerminalModes), 0: none
    volatile uint64_t end_of_file;      // n > 0: one read at byte n - 1 of the input returns 0 (Ctrl-D at a terminal)
    volatile uint64_t suspensions;      // Ctrl-Z presses at the host's terminal passed on, ever
    volatile uint8_t data[APUS_INPUT_RING_SIZE];
};
// Bytes the host has put in that the kernel has not taken, up to an end of file.
uint64_t apus_input_ring_pending(void);
// Whether the next read is at an end of file the host marked (Ctrl-D at a terminal).
int apus_input_ring_at_end_of_file(void);
// A read returned 0 for that end of file: the input goes on after it.
void apus_input_ring_take_end_of_file(void);
// Whether the host said that no more bytes will come.
int apus_input_ring_ended(void);
// Moves up to `count` pending bytes to `destination`; returns how many.
uint64_t apus_input_ring_take(void *destination, uint64_t count);
// How many Ctrl-C presses the host has passed on, ever.
uint64_t apus_input_ring_interrupts(void);
// How many Ctrl-Z presses the host has passed on, ever.
uint64_t apus_input_ring_suspensions(void);
// Tells the host whether Ctrl-C and Ctrl-Z are to be passed on (1) or are the host's own
// (0: Ctrl-C ends the run, Ctrl-Z stops the whole machine).
void apus_input_ring_set_takes_interrupts(int takes);
// Tells the host which modes its terminal is to follow (ApusCore's TerminalModes.ringWord; 0:
// its usual ones).
void apus_input_ring_set_terminal_modes(uint64_t modes);
uint64_t apus_input_ring_physical_address(void);
static inline uint64_t apus_input_ring_size(void) { return APUS_INPUT_RING_SIZE; }

#endif
