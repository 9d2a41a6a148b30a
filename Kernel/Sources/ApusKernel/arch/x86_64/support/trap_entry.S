// Interrupt and exception entry (Intel SDM Vol. 3A §6.12).
//
// The CPU pushes SS, RSP, RFLAGS, CS, RIP and, for some exceptions, an error code, then
// jumps to the IDT gate's handler. Each stub below makes the frame uniform (a zero error
// code where the CPU pushes none, then the vector number), and trap_common saves every
// general-purpose register so that Swift (apus_trap) sees one TrapFrame and may change it
// before iretq resumes.

#include "registers.h"
#include "cpu_local.h"

        .text
.macro TRAP_NO_ERROR vector
trap_stub_\vector:
        pushq $0
        pushq $\vector
        jmp trap_common
.endm

.macro TRAP_WITH_ERROR vector
trap_stub_\vector:
        pushq $\vector
        jmp trap_common
.endm

// Vectors 8, 10–14, 17, 21, 29 and 30 push an error code. Every vector has a stub: the
// exceptions (0–31), the 8259s' lines (32–47, masked but able to raise a spurious IRQ), the
// I/O APIC's inputs and the local APIC's own vectors (InterruptVectors.swift).
TRAP_NO_ERROR 0
TRAP_NO_ERROR 1
TRAP_NO_ERROR 2
TRAP_NO_ERROR 3
TRAP_NO_ERROR 4
TRAP_NO_ERROR 5
TRAP_NO_ERROR 6
TRAP_NO_ERROR 7
TRAP_WITH_ERROR 8
TRAP_NO_ERROR 9
TRAP_WITH_ERROR 10
TRAP_WITH_ERROR 11
TRAP_WITH_ERROR 12
TRAP_WITH_ERROR 13
TRAP_WITH_ERROR 14
TRAP_NO_ERROR 15
TRAP_NO_ERROR 16
TRAP_WITH_ERROR 17
TRAP_NO_ERROR 18
TRAP_NO_ERROR 19
TRAP_NO_ERROR 20
TRAP_WITH_ERROR 21
TRAP_NO_ERROR 22
TRAP_NO_ERROR 23
TRAP_NO_ERROR 24
TRAP_NO_ERROR 25
TRAP_NO_ERROR 26
TRAP_NO_ERROR 27
TRAP_NO_ERROR 28
TRAP_WITH_ERROR 29
TRAP_WITH_ERROR 30
TRAP_NO_ERROR 31
.irp vector, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159,160,161,162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,185,186,187,188,189,190,191,192,193,194,195,196,197,198,199,200,201,202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,223,224,225,226,227,228,229,230,231,232,233,234,235,236,237,238,239,240,241,242,243,244,245,246,247,248,249,250,251,252,253,254,255
TRAP_NO_ERROR \vector
.endr

// From ring 3 (the saved CS's low bits), GS still has the program's base: `swapgs` makes it
// this CPU's area (cpu_local.h), and trap_return swaps back on the way out.
trap_common:
        testb $3, 24(%rsp)              // CS, above the vector and the error code
        jz 1f
        swapgs
1:      PUSH_GENERAL_REGISTERS
        movq %rsp, %rdi
        cld
        // An interrupt gate keeps RFLAGS.AC: a program that set it would leave SMAP open in
        // the kernel. Clear it (without `clac`, which CPUs without SMAP do not know); the
        // program's own flags come back with its frame at iretq.
        pushfq
        andq $~0x40000, (%rsp)
        popfq
        call apus_trap
        cmpb $0, %gs:CPU_LOCAL_EXIT_PENDING
        jne thread_exit
        .global trap_return
// Back to where the trap came from. To ring 3: the CPU lets go of the kernel lock first
// (apus_leave_kernel), then GS gets the program's base back.
trap_return:
        testb $3, GENERAL_REGISTERS_SIZE + 24(%rsp)
        jz 2f
        call apus_leave_kernel
2:      POP_GENERAL_REGISTERS
        testb $3, 24(%rsp)
        jz 3f
        swapgs
3:      addq $16, %rsp          // vector and error code
        iretq

        .section .rodata
        .align 8
        .global trap_stubs
trap_stubs:
.irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159,160,161,162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,185,186,187,188,189,190,191,192,193,194,195,196,197,198,199,200,201,202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,223,224,225,226,227,228,229,230,231,232,233,234,235,236,237,238,239,240,241,242,243,244,245,246,247,248,249,250,251,252,253,254,255
        .quad trap_stub_\vector
.endr

// Probes: touch an address that may fault, for the kernel's own hardware checks. Each
// returns 0 when the access worked and 1 when it faulted. While a probe is armed, apus_trap
// records the fault and resumes at probe_resume, the probe's landing pad, which restores the
// stack the probe saved and returns 1.

        .text
        .global probe_read, probe_write, probe_call
        .global probe_armed, probe_resume

.macro ARM_PROBE landing
        movq %rsp, probe_saved_rsp(%rip)
        leaq \landing(%rip), %rax
        movq %rax, probe_resume(%rip)
        movb $1, probe_armed(%rip)
.endm

// int probe_read(const volatile uint8_t *address, uint8_t *value)
probe_read:
        ARM_PROBE 1f
        movb (%rdi), %al
        movb $0, probe_armed(%rip)
        movb %al, (%rsi)
        xorl %eax, %eax
        ret
1:      movq probe_saved_rsp(%rip), %rsp
        movl $1, %eax
        ret

// int probe_write(volatile uint8_t *address, uint8_t value)
probe_write:
        ARM_PROBE 1f
        movb %sil, (%rdi)
        movb $0, probe_armed(%rip)
        xorl %eax, %eax
        ret
1:      movq probe_saved_rsp(%rip), %rsp
        movl $1, %eax
        ret

// int probe_call(uint64_t (*function)(void), uint64_t *result)
probe_call:
        pushq %rbx
        movq %rsi, %rbx
        ARM_PROBE 1f
        call *%rdi
        movb $0, probe_armed(%rip)
        movq %rax, (%rbx)
        popq %rbx
        xorl %eax, %eax
        ret
1:      movq probe_saved_rsp(%rip), %rsp
        popq %rbx
        movl $1, %eax
        ret

        .data
probe_armed:            .byte 0
        .align 8
probe_resume:           .quad 0
probe_saved_rsp:        .quad 0
