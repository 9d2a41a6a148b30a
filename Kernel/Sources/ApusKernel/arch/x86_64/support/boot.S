// Boot: from the multiboot loader's 32-bit protected mode to 64-bit Swift.
//
// QEMU (or GRUB) loads the kernel image at 1 MiB and jumps to _start in 32-bit protected
// mode with paging off, EAX = the multiboot magic and EBX = the physical address of the
// multiboot information. Long mode needs paging, so this code builds a temporary set of page
// tables out of 2 MiB pages (Intel SDM Vol. 3A §4.5):
//
//   identity      [0, 4 GiB)                 so the next instruction after enabling paging
//                                            still runs; dropped once Swift has built the
//                                            kernel's own page table
//   direct map    0xFFFF_8000_0000_0000 + p  all of the first 4 GiB, as the kernel's
//                                            PhysicalMemory window
//   kernel image  0x0000_507F_C000_0000 + p  where the kernel is linked: the last GiB of the
//                                            kernel window (PML4 slot 160), so that its
//                                            string literals have lower-half addresses as
//                                            Swift requires (-mcmodel=large reaches it)
//   kernel heap   0x0000_5000_0000_0000      the kernel heap (HEAP_SIZE in linker.ld), on
//                                            the 2 MiB-aligned frames after the boot
//                                            modules (heap_frames.S chooses them)
//
// It then turns on PAE, long mode, no-execute and paging (with CR0.WP, so the kernel honours
// read-only pages), loads a 64-bit GDT and jumps to the kernel's address range.

#define KERNEL_VMA      0x0000507FC0000000
#define PAGE_PRESENT    (1 << 0)
#define PAGE_WRITABLE   (1 << 1)
#define PAGE_HUGE       (1 << 7)
#define CR0_MP          (1 << 1)
#define CR0_EM          (1 << 2)
#define CR0_WP          (1 << 16)
#define CR0_PG          (1 << 31)
#define CR4_PAE         (1 << 5)
#define CR4_OSFXSR      (1 << 9)
#define CR4_OSXMMEXCPT  (1 << 10)
#define MSR_EFER        0xC0000080
#define EFER_SCE        (1 << 0)
#define EFER_LME        (1 << 8)
#define EFER_NXE        (1 << 11)
#define MULTIBOOT_MAGIC 0x1BADB002
// Page-align modules, give the memory map, and use the load addresses below (the "a.out
// kludge", which is what lets a loader take an ELF64 file).
#define MULTIBOOT_FLAGS ((1 << 0) | (1 << 1) | (1 << 16))
#define KERNEL_WINDOW_PML4_SLOT 160

        .section .multiboot, "a"
        .align 4
multiboot_header:
        .long MULTIBOOT_MAGIC
        .long MULTIBOOT_FLAGS
        .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)
        .long multiboot_header          // header_addr
        .long __image_start             // load_addr
        .long __image_load_end          // load_end_addr
        .long __image_bss_end           // bss_end_addr: the loader zeroes the bss and puts the modules after it
        .long _start                    // entry_addr

        .section .boot.text, "ax"
        .code32
        .global _start
_start:
        cli
        cld
        movl %eax, boot_multiboot_magic - KERNEL_VMA
        movl %ebx, boot_multiboot_info - KERNEL_VMA
        movl $(boot_stack_top - KERNEL_VMA), %esp

        // Identity and direct map: PML4[0] and PML4[256] -> one PDPT whose four entries point
        // at four PDs of 512 huge pages each.
        movl $(boot_pdpt_low - KERNEL_VMA + PAGE_PRESENT + PAGE_WRITABLE), %eax
        movl %eax, boot_pml4 - KERNEL_VMA
        movl %eax, boot_pml4 - KERNEL_VMA + 256 * 8
        xorl %ecx, %ecx
1:      movl %ecx, %eax
        shll $12, %eax
        addl $(boot_pds - KERNEL_VMA + PAGE_PRESENT + PAGE_WRITABLE), %eax
        movl %eax, boot_pdpt_low - KERNEL_VMA(, %ecx, 8)
        incl %ecx
        cmpl $4, %ecx
        jne 1b
        // The 2048 huge pages of [0, 4 GiB): entry i maps i * 2 MiB (bits 32+ in the high word).
        xorl %ecx, %ecx
2:      movl %ecx, %eax
        shll $21, %eax
        orl $(PAGE_PRESENT + PAGE_WRITABLE + PAGE_HUGE), %eax
        movl %eax, boot_pds - KERNEL_VMA(, %ecx, 8)
        movl %ecx, %eax
        shrl $11, %eax
        movl %eax, boot_pds - KERNEL_VMA + 4(, %ecx, 8)
        incl %ecx
        cmpl $2048, %ecx
        jne 2b

        // Kernel window: PML4[160] -> PDPT. Its entry 511 maps the image (the first GiB of
        // RAM, at KERNEL_VMA); its entry 0 a PD whose first entries map the heap's frames.
        movl $(boot_pdpt_window - KERNEL_VMA + PAGE_PRESENT + PAGE_WRITABLE), %eax
        movl %eax, boot_pml4 - KERNEL_VMA + KERNEL_WINDOW_PML4_SLOT * 8
        movl $(boot_pds - KERNEL_VMA + PAGE_PRESENT + PAGE_WRITABLE), %eax
        movl %eax, boot_pdpt_window - KERNEL_VMA + 511 * 8
        movl $(boot_pd_heap - KERNEL_VMA + PAGE_PRESENT + PAGE_WRITABLE), %eax
        movl %eax, boot_pdpt_window - KERNEL_VMA
        call choose_heap_frames
        movl boot_heap_physical_start - KERNEL_VMA, %edx
        xorl %ecx, %ecx
3:      movl %edx, %eax
        orl $(PAGE_PRESENT + PAGE_WRITABLE + PAGE_HUGE), %eax
        movl %eax, boot_pd_heap - KERNEL_VMA(, %ecx, 8)
        addl $(2 << 20), %edx
        incl %ecx
        cmpl boot_heap_physical_end - KERNEL_VMA, %edx
        jb 3b

        // PAE and SSE (the compiler may use SSE registers; user state is saved per process).
        movl %cr4, %eax
        orl $(CR4_PAE + CR4_OSFXSR + CR4_OSXMMEXCPT), %eax
        movl %eax, %cr4
        movl $(boot_pml4 - KERNEL_VMA), %eax
        movl %eax, %cr3
        movl $MSR_EFER, %ecx
        rdmsr
        orl $(EFER_LME + EFER_NXE + EFER_SCE), %eax
        wrmsr
        movl %cr0, %eax
        andl $~CR0_EM, %eax
        orl $(CR0_PG + CR0_WP + CR0_MP), %eax
        movl %eax, %cr0

        lgdt gdt_pointer32 - KERNEL_VMA
        ljmp $0x08, $long_mode_start

        .code64
long_mode_start:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        xorw %ax, %ax
        movw %ax, %fs
        movw %ax, %gs
        movabsq $kernel_start64, %rax
        jmp *%rax

        .text
kernel_start64:
        lgdt gdt_pointer64(%rip)
        // GS: the bootstrap processor's own area from the first Swift instruction on.
        movabsq $apus_boot_cpu_local, %rax
        movq %rax, apus_boot_cpu_local(%rip)
        movq %rax, %rdx
        shrq $32, %rdx
        movl $0xC0000101, %ecx
        wrmsr
        movabsq $boot_stack_top, %rsp
        xorl %ebp, %ebp
        call main
0:      cli
        hlt
        jmp 0b

// The GDT (Intel SDM Vol. 3A §3.4.5): the order is fixed by SYSCALL/SYSRET, which derive
// the user selectors from STAR: kernel code 0x08, kernel data 0x10, user data 0x18 (0x1b
// with RPL 3), user code 0x20 (0x23), then the 16-byte TSS descriptor at 0x28, filled in at
// run time.
        .data
        .align 16
        .global gdt
gdt:
        .quad 0
        .quad 0x00AF9A000000FFFF        // kernel code: present, DPL 0, long mode
        .quad 0x00CF92000000FFFF        // kernel data
        .quad 0x00CFF2000000FFFF        // user data: DPL 3
        .quad 0x00AFFA000000FFFF        // user code: DPL 3, long mode
        .quad 0, 0                      // TSS
gdt_end:
gdt_pointer32:
        .word gdt_end - gdt - 1
        .long gdt - KERNEL_VMA
gdt_pointer64:
        .word gdt_end - gdt - 1
        .quad gdt

// Loads the GDT at *rdi (one per CPU, each with its own TSS) and reloads the kernel's code
// segment (a far return) and data segments from it. GS is left alone: its base is the CPU's.
        .text
        .global load_gdt
load_gdt:
        lgdt (%rdi)
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        popq %rax
        pushq $0x08
        pushq %rax
        lretq

        .data
        .global boot_multiboot_magic, boot_multiboot_info
        .align 8
boot_multiboot_magic:   .quad 0
boot_multiboot_info:    .quad 0

        .section .bss.boot_tables, "aw", @nobits
        .align 4096
        .global boot_pml4
boot_pml4:      .space 4096
boot_pdpt_low:  .space 4096
boot_pdpt_window: .space 4096
boot_pd_heap:   .space 4096
boot_pds:       .space 4 * 4096

// The bootstrap processor's own data (struct apus_cpu_local), reached through GS.
        .section .bss.boot_cpu_local, "aw", @nobits
        .align 64
        .global apus_boot_cpu_local
apus_boot_cpu_local:
        .space 4096

        .section .bss.boot_stack, "aw", @nobits
        .align 16
        .global boot_stack_bottom, boot_stack_top
boot_stack_bottom:
        .space 64 * 1024
boot_stack_top:
