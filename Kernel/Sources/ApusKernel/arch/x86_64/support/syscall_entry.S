// The `syscall` path, and the FPU/SSE state every program starts from. A program enters
// ring 3 for the first time through the scheduler (context_switch.S, thread_first_entry).

#include "registers.h"

        .text
        .global syscall_entry
        .global syscall_stack_top

// The `syscall` instruction lands here (LSTAR) in ring 0 with the user's stack still in rsp,
// its rip in rcx and its rflags in r11 (Intel SDM Vol. 2B, SYSCALL). Switch to the kernel's
// syscall stack, save the user's rsp and every register as a SyscallFrame, let Swift run the
// call (it writes the result into the frame's rax), restore, and sysretq. Everything but rax, rcx and r11 comes
// back as it was (ABI.md §1).
syscall_entry:
        movq %rsp, syscall_user_rsp(%rip)
        movq syscall_stack_top(%rip), %rsp
        pushq syscall_user_rsp(%rip)
        PUSH_GENERAL_REGISTERS           // rcx holds the user rip, r11 its rflags
        movq %rsp, %rdi
        cld
        call apus_syscall
        cmpb $0, user_exit_pending(%rip)
        jne thread_exit
        POP_GENERAL_REGISTERS
        popq %rsp
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

        .data
        .global user_exit_pending
user_exit_pending:      .byte 0
        .align 8
syscall_user_rsp:       .quad 0
syscall_stack_top:      .quad 0
