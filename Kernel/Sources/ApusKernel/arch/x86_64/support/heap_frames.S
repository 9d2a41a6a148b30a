// Where the kernel heap's frames are: chosen at boot from the RAM the loader left free.
//
// The heap (HEAP_SIZE in linker.ld, 48 MiB) was once part of the kernel image's bss, which
// made the loader zero it and copy it into the machine on every boot: in QEMU that is a
// 48 MiB buffer filled and copied before the first instruction runs, most of a warm `apus
// run`'s start-up. The heap needs no zeroing (the allocator clears its own bookkeeping), so
// boot.S now takes it from free RAM instead, before anything else needs it:
//
// * the first 2 MiB boundary after everything the loader placed: the image and its bss, the
//   multiboot information (QEMU puts it between the image and the modules) and every module;
// * or, when that would run past the top of RAM (modules too large for the machine), the
//   last whole 2 MiB-aligned 48 MiB below the top of RAM. The heap then overlaps modules,
//   and the kernel refuses to run, saying so in words (KernelMemory.swift), before it reads
//   any module.
//
// Multiboot information (Multiboot Specification 0.6.96 §3.3): `flags` at 0 (bit 0: mem_lower
// and mem_upper valid; bit 3: mods_count and mods_addr valid), `mem_upper` at 8 (KiB of RAM
// from 1 MiB up to the first hole), `mods_count` at 20, `mods_addr` at 24; a module entry is
// 16 bytes: mod_start at 0, mod_end at 4.
#define KERNEL_VMA                  0x0000507FC0000000
#define HUGE_PAGE_MASK              ((2 << 20) - 1)
#define MULTIBOOT_INFO_FLAGS        0
#define MULTIBOOT_INFO_MEM_UPPER    8
#define MULTIBOOT_INFO_MODS_COUNT   20
#define MULTIBOOT_INFO_MODS_ADDR    24
#define MULTIBOOT_INFO_SIZE         88
#define MULTIBOOT_FLAG_MEMORY       (1 << 0)
#define MULTIBOOT_FLAG_MODULES      (1 << 3)
#define MULTIBOOT_MODULE_END        4
#define MULTIBOOT_MODULE_SIZE       16
#define ONE_MIB                     0x100000

        .section .boot.text, "ax"
        .code32
        .global choose_heap_frames
// In: boot_multiboot_info holds the information's address. Out: boot_heap_physical_start
// and boot_heap_physical_end. Keeps every register but eax, ecx, edx.
choose_heap_frames:
        pushl %ebx
        pushl %esi
        movl boot_multiboot_info - KERNEL_VMA, %ebx
        // The end of what the loader placed: the image, the information, the modules.
        movl $__image_bss_end, %edx
        leal MULTIBOOT_INFO_SIZE(%ebx), %eax
        cmpl %edx, %eax
        jbe 1f
        movl %eax, %edx
1:      testl $MULTIBOOT_FLAG_MODULES, MULTIBOOT_INFO_FLAGS(%ebx)
        jz 3f
        movl MULTIBOOT_INFO_MODS_COUNT(%ebx), %ecx
        movl MULTIBOOT_INFO_MODS_ADDR(%ebx), %esi
2:      testl %ecx, %ecx
        jz 3f
        movl MULTIBOOT_MODULE_END(%esi), %eax
        cmpl %edx, %eax
        jbe 4f
        movl %eax, %edx
4:      addl $MULTIBOOT_MODULE_SIZE, %esi
        decl %ecx
        jmp 2b
        // Round up to a 2 MiB boundary (boot.S maps the heap with 2 MiB pages).
3:      addl $HUGE_PAGE_MASK, %edx
        andl $~HUGE_PAGE_MASK, %edx
        // Past the top of RAM? Then the last 48 MiB below it.
        testl $MULTIBOOT_FLAG_MEMORY, MULTIBOOT_INFO_FLAGS(%ebx)
        jz 5f
        movl MULTIBOOT_INFO_MEM_UPPER(%ebx), %eax
        shll $10, %eax
        addl $ONE_MIB, %eax
        leal HEAP_SIZE(%edx), %ecx
        cmpl %eax, %ecx
        jbe 5f
        subl $HEAP_SIZE, %eax
        andl $~HUGE_PAGE_MASK, %eax
        movl %eax, %edx
5:      movl %edx, boot_heap_physical_start - KERNEL_VMA
        addl $HEAP_SIZE, %edx
        movl %edx, boot_heap_physical_end - KERNEL_VMA
        popl %esi
        popl %ebx
        ret

        .data
        .global boot_heap_physical_start, boot_heap_physical_end
        .align 8
boot_heap_physical_start:   .quad 0
boot_heap_physical_end:     .quad 0
