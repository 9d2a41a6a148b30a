// Switching between kernel threads: every thread of every process runs on one, and the
// kernel's own threads too.
//
// A thread that stops running calls switch_context: it pushes the registers a C function
// must keep (rbp, rbx, r12–r15) and the data segment selectors (DS, ES, FS, GS: a program
// may load its own, and no entry to the kernel changes them, so they are the thread's
// state too), saves its stack pointer, loads the next thread's stack pointer and pops that
// thread's registers, so `ret` continues the next thread exactly where it once called
// switch_context. GS is special: its base is this CPU's area (cpu_local.h) while the kernel
// runs, and loading a selector into GS overwrites the base; so GS is loaded only when the
// next thread's selector differs, and the base is put back at once. Everything else a thread owns is on its own kernel stack
// (the user registers of its trap or system call frame) or switched by the scheduler (CR3,
// TSS.RSP0, the FPU/SSE state).

#include "cpu_local.h"

        .text
        .global switch_context, thread_first_entry, kernel_thread_first_entry, thread_exit

// void switch_context(uint64_t *saved_stack_pointer, uint64_t next_stack_pointer)
switch_context:
        pushq %rbp
        pushq %rbx
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        movl %ds, %eax
        pushq %rax
        movl %es, %eax
        pushq %rax
        movl %fs, %eax
        pushq %rax
        movl %gs, %eax
        pushq %rax
        movq %rsp, (%rdi)
        movq %rsi, %rsp
        movq %gs:CPU_LOCAL_SELF, %r8     // this CPU's area, before GS may change
        popq %rax
        movl %gs, %ecx
        cmpl %eax, %ecx
        je 1f
        movl %eax, %gs
        movl $MSR_GS_BASE, %ecx
        movl %r8d, %eax
        movq %r8, %rdx
        shrq $32, %rdx
        wrmsr
1:      popq %rax
        movl %eax, %fs
        popq %rax
        movl %eax, %es
        popq %rax
        movl %eax, %ds
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %rbx
        popq %rbp
        ret

// A new thread's first switch returns here, with its stack pointer on a TrapFrame built for
// it (a program's first instruction, or a forked child's return from `fork`): tell the
// scheduler it runs, then leave for ring 3 the way every trap does.
thread_first_entry:
        call apus_thread_started
        cmpb $0, %gs:CPU_LOCAL_EXIT_PENDING
        jne thread_exit
        jmp trap_return

// A new kernel thread's first switch returns here, its stack pointer at the top of its stack
// (16-byte aligned, as a call needs it): run its work in Swift, then end it.
kernel_thread_first_entry:
        call apus_thread_started
        call apus_kernel_thread_main
        jmp thread_exit

// The current thread ends (Swift set user_exit_pending and returned, so no Swift frame on
// this stack holds a reference): the scheduler switches away from it for good.
thread_exit:
        movb $0, %gs:CPU_LOCAL_EXIT_PENDING
        call apus_thread_exit
        ud2
