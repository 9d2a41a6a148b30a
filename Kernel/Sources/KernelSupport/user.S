// Entering ring 3 and coming back: the program's first instruction, the `syscall` path,
// and the way back to the kernel when the program ends.
//
// enter_user saves the kernel's callee-saved registers and stack in a KernelContext, then
// drops to ring 3 with iretq. When the program exits (or dies), leave_user restores that
// context, so enter_user returns, with the exit status, to the kernel code that called it.

#include "registers.h"

#define USER_CODE 0x23
#define USER_DATA 0x1b
#define RFLAGS_IF 0x202

        .text
        .global enter_user, leave_user, syscall_entry
        .global syscall_stack_top

// int64_t enter_user(const struct UserEntry *entry /* rip, rsp, rdi, rsi */, struct KernelContext *context)
enter_user:
        movq %rbx, 0(%rsi)
        movq %rbp, 8(%rsi)
        movq %r12, 16(%rsi)
        movq %r13, 24(%rsi)
        movq %r14, 32(%rsi)
        movq %r15, 40(%rsi)
        movq %rsp, 48(%rsi)
        pushq $USER_DATA                // ss
        pushq 8(%rdi)                   // rsp
        pushq $RFLAGS_IF                // rflags = 0x202
        pushq $USER_CODE                // cs
        pushq 0(%rdi)                   // rip
        movq 24(%rdi), %rsi             // argv
        movq 16(%rdi), %rdi             // argc
        xorl %eax, %eax                 // every other register is 0 (ABI.md §3)
        xorl %ebx, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        xorl %ebp, %ebp
        xorl %r8d, %r8d
        xorl %r9d, %r9d
        xorl %r10d, %r10d
        xorl %r11d, %r11d
        xorl %r12d, %r12d
        xorl %r13d, %r13d
        xorl %r14d, %r14d
        xorl %r15d, %r15d
        movw $USER_DATA, %r8w
        movw %r8w, %ds
        movw %r8w, %es
        xorl %r8d, %r8d
        fxrstor clean_fpu_state(%rip)   // x87, MXCSR and every xmm as after reset (ABI.md §3)
        iretq

// void leave_user(struct KernelContext *context, int64_t status): never returns; enter_user does.
leave_user:
        movq 0(%rdi), %rbx
        movq 8(%rdi), %rbp
        movq 16(%rdi), %r12
        movq 24(%rdi), %r13
        movq 32(%rdi), %r14
        movq 40(%rdi), %r15
        movq 48(%rdi), %rsp
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movq %rsi, %rax
        ret

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
        jne finish_user
        POP_GENERAL_REGISTERS
        popq %rsp
        sysretq

// The process has ended (Swift set user_exit_pending after returning from its handler, so
// no Swift frame is left holding references): go back to enter_user's caller.
        .global finish_user
finish_user:
        movb $0, user_exit_pending(%rip)
        movq user_exit_context(%rip), %rdi
        movq user_exit_status(%rip), %rsi
        jmp leave_user

// The FPU and SSE state a program starts with, as an FXSAVE image (Intel SDM Vol. 1
// §10.5.1, Table 10-2): x87 control word 0x37F (every exception masked, 64-bit precision,
// round to nearest), an empty x87 stack, MXCSR 0x1F80 (every SIMD exception masked), and
// every x87 and xmm register zero. No value of a previous program survives into the next.
        .section .rodata
        .align 16
clean_fpu_state:
        .word 0x037F                    // FCW
        .fill 22, 1, 0                  // FSW, FTW, FOP, FIP, FDP
        .long 0x1F80                    // MXCSR
        .fill 484, 1, 0                 // MXCSR_MASK, ST0–ST7, XMM0–XMM15, reserved

        .data
        .global user_exit_pending, user_exit_context, user_exit_status
user_exit_pending:      .byte 0
        .align 8
user_exit_context:      .quad 0
user_exit_status:       .quad 0
syscall_user_rsp:       .quad 0
syscall_stack_top:      .quad 0
