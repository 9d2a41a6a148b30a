// Program entry on Linux (the System V ABI's process start): argc at (rsp), argv right
// above it. Call main(argc, argv) and exit with its result, as Apus's crt0 does.
        .section .text.start, "ax"
        .global _start
_start:
        xorl %ebp, %ebp
        movq (%rsp), %rdi
        leaq 8(%rsp), %rsi
        andq $-16, %rsp
        call main
        movl %eax, %edi
        call exit
1:      hlt
        jmp 1b
