// Where an application processor starts: from real mode to long mode, then into the kernel.
//
// An application processor (AP) wakes from the INIT-SIPI-SIPI sequence (Intel SDM Vol. 3A
// §9.4.4; LocalAPIC.swift sends it) in 16-bit real mode at address VECTOR × 4096, with CS =
// VECTOR × 256 and IP = 0. The kernel copies the code below to the page AP_TRAMPOLINE_BASE
// (a page below 1 MiB that no one else uses: ApplicationProcessors.swift), fills the
// parameters at its end (struct apus_ap_start in X86_64Support.h: a page table, a stack, the
// CPU's own data) and starts the AP there. The code goes straight from real mode to long
// mode: PAE, the page table in CR3, long mode and no-execute in EFER, then protection and
// paging in CR0 at once, and a far jump into a 64-bit code segment of a GDT of its own. The
// page table is the boot's (boot.S), which maps this page 1:1 as well as the kernel, so the
// instruction after paging is turned on is still here. In 64-bit mode it takes its stack,
// makes GS its CPU's area, says it has started (the bootstrap processor reuses the page for
// the next AP after that) and jumps to the kernel's apus_ap_main at its linked address.
//
// The code is position-dependent: every address is AP_TRAMPOLINE_BASE + its offset here.

#define AP_TRAMPOLINE_BASE  0x8000
#define AT(label)           (AP_TRAMPOLINE_BASE + (label) - ap_trampoline_start)
#define CR0_PE              (1 << 0)
#define CR0_MP              (1 << 1)
#define CR0_EM              (1 << 2)
#define CR0_WP              (1 << 16)
#define CR0_PG              (1 << 31)
#define CR4_PAE             (1 << 5)
#define CR4_OSFXSR          (1 << 9)
#define CR4_OSXMMEXCPT      (1 << 10)
#define MSR_EFER            0xC0000080
#define EFER_SCE            (1 << 0)
#define EFER_LME            (1 << 8)
#define EFER_NXE            (1 << 11)
#define MSR_GS_BASE         0xC0000101

        .section .rodata.ap_trampoline, "a"
        .global ap_trampoline_start, ap_trampoline_end, ap_trampoline_parameters
        .code16
ap_trampoline_start:
        cli
        cld
        movw %cs, %ax
        movw %ax, %ds
        lgdtl tramp_gdt_pointer - ap_trampoline_start
        movl %cr4, %eax
        orl $(CR4_PAE + CR4_OSFXSR + CR4_OSXMMEXCPT), %eax
        movl %eax, %cr4
        movl parameter_cr3 - ap_trampoline_start, %eax
        movl %eax, %cr3
        movl $MSR_EFER, %ecx
        rdmsr
        orl $(EFER_LME + EFER_NXE + EFER_SCE), %eax
        wrmsr
        movl %cr0, %eax
        andl $~CR0_EM, %eax
        orl $(CR0_PE + CR0_PG + CR0_WP + CR0_MP), %eax
        movl %eax, %cr0
        ljmpl $0x08, $AT(tramp_long_mode)

        .code64
tramp_long_mode:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        xorw %ax, %ax
        movw %ax, %fs
        movw %ax, %gs
        movq AT(parameter_stack), %rsp
        movq AT(parameter_cpu_local), %rax
        movq %rax, %rdx
        shrq $32, %rdx
        movl $MSR_GS_BASE, %ecx
        wrmsr
        movq $1, AT(parameter_started)
        xorl %ebp, %ebp
        movabsq $apus_ap_main, %rax
        call *%rax
1:      cli
        hlt
        jmp 1b

        .align 8
tramp_gdt:
        .quad 0
        .quad 0x00AF9A000000FFFF        // 0x08: code, long mode
        .quad 0x00CF92000000FFFF        // 0x10: data
tramp_gdt_pointer:
        .word tramp_gdt_pointer - tramp_gdt - 1
        .long AT(tramp_gdt)

        .align 8
ap_trampoline_parameters:
parameter_cr3:          .long 0
parameter_stack:        .quad 0
parameter_cpu_local:    .quad 0
parameter_started:      .quad 0
ap_trampoline_end:
