// The `syscall` path, and the FPU/SSE state every program starts from. A program enters
// ring 3 for the first time through the scheduler (context_switch.S, thread_first_entry).

#include "registers.h"
#include "cpu_local.h"

        .text
        .global syscall_entry

// The `syscall` instruction lands here (LSTAR) in ring 0 with the user's stack still in rsp,
// its rip in rcx, its rflags in r11 and its GS base in GS (Intel SDM Vol. 2B, SYSCALL).
// `swapgs` makes GS this CPU's area (cpu_local.h); switch to the running thread's kernel
// stack and save the program's state as a trap does (trap_entry.S): what `iretq` would
// pop (ss, rsp, rflags, cs, rip), an error code and a vector of 0, every register; so one
// TrapFrame (Trap.swift) describes a program's registers at every entry. Swift runs the
// call (it writes the result into the frame's rax) and may change any of the frame.
//
// The way back: `sysretq` restores rip from rcx and rflags from r11 and is fast, so it is
// taken whenever the frame asks for exactly that (rcx = rip, r11 = rflags: after every
// plain call, where `syscall` itself set them so). Where the frame differs (a signal
// handler entered, a signal frame returned from, a call restarted), the program's rcx and
// r11 matter too, and `iretq` restores all, through trap_return. Either way everything but
// rax, rcx and r11 comes back as it was (ABI.md §1).
syscall_entry:
        swapgs
        movq %rsp, %gs:CPU_LOCAL_USER_RSP
        movq %gs:CPU_LOCAL_KERNEL_STACK, %rsp
        pushq $USER_DATA_SELECTOR       // ss
        pushq %gs:CPU_LOCAL_USER_RSP    // rsp
        pushq %r11                      // rflags
        pushq $USER_CODE_SELECTOR       // cs
        pushq %rcx                      // rip
        pushq $0                        // error code
        pushq $0                        // vector
        PUSH_GENERAL_REGISTERS
        movq %rsp, %rdi
        cld
        call apus_syscall
        cmpb $0, %gs:CPU_LOCAL_EXIT_PENDING
        jne thread_exit
        movq FRAME_RIP(%rsp), %rax
        cmpq %rax, FRAME_RCX(%rsp)
        jne trap_return
        movq FRAME_RFLAGS(%rsp), %rax
        cmpq %rax, FRAME_R11(%rsp)
        jne trap_return
        call apus_leave_kernel
        POP_GENERAL_REGISTERS
        movq FRAME_RSP - GENERAL_REGISTERS_SIZE(%rsp), %rsp
        swapgs
        sysretq

// The FPU and SSE state a program starts with, as an FXSAVE image (Intel SDM Vol. 1
// §10.5.1, Table 10-2): x87 control word 0x37F (every exception masked, 64-bit precision,
// round to nearest), an empty x87 stack, MXCSR 0x1F80 (every SIMD exception masked), and
// every x87 and xmm register zero. No value of a previous program survives into the next.
        .section .rodata
        .align 16
        .global clean_fpu_state
clean_fpu_state:
        .word 0x037F                    // FCW
        .fill 22, 1, 0                  // FSW, FTW, FOP, FIP, FDP
        .long 0x1F80                    // MXCSR
        .fill 484, 1, 0                 // MXCSR_MASK, ST0–ST7, XMM0–XMM15, reserved
