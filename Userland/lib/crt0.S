// Program entry (ABI.md §3): rdi = argc, rsi = argv, rsp = the stack the kernel built
// (pointing at a fake return address). Call main(argc, argv) and exit with its result.
        .section .text.start, "ax"
        .global _start
_start:
        xorl %ebp, %ebp
        andq $-16, %rsp
        call main
        movl %eax, %edi
        call exit
1:      hlt
        jmp 1b
