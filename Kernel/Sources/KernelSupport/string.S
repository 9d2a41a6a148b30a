// The C memory functions the Embedded Swift runtime and the compiler call.
//
// They are written with the string instructions (`rep stosb`, `rep movsb`), which modern
// CPUs run at full memory speed ("fast strings", Intel SDM Vol. 1 §7.3.9.3), and in assembly
// because a C or Swift loop that copies bytes may be compiled into a call to memcpy itself.

        .text
        .global memset, memcpy, memmove, memcmp, strlen

// void *memset(void *dst, int byte, size_t count)
memset:
        movq %rdi, %r9
        movl %esi, %eax
        movq %rdx, %rcx
        rep stosb
        movq %r9, %rax
        ret

// void *memcpy(void *dst, const void *src, size_t count)
memcpy:
        movq %rdi, %rax
        movq %rdx, %rcx
        rep movsb
        ret

// void *memmove(void *dst, const void *src, size_t count): copies backwards when the
// destination starts inside the source.
memmove:
        movq %rdi, %rax
        movq %rdx, %rcx
        cmpq %rsi, %rdi
        jbe 1f
        leaq (%rsi, %rdx), %r8
        cmpq %r8, %rdi
        jae 1f
        leaq -1(%rdi, %rdx), %rdi
        leaq -1(%rsi, %rdx), %rsi
        std
        rep movsb
        cld
        ret
1:      rep movsb
        ret

// int memcmp(const void *a, const void *b, size_t count)
memcmp:
        xorl %eax, %eax
        testq %rdx, %rdx
        jz 2f
1:      movzbl (%rdi), %eax
        movzbl (%rsi), %ecx
        subl %ecx, %eax
        jnz 2f
        incq %rdi
        incq %rsi
        decq %rdx
        jnz 1b
2:      ret

// size_t strlen(const char *s)
strlen:
        xorl %eax, %eax
1:      cmpb $0, (%rdi, %rax)
        je 2f
        incq %rax
        jmp 1b
2:      ret
