// The C memory functions the Embedded Swift runtime and the compiler call.
//
// In assembly because a C or Swift loop that copies bytes may be compiled into a call to
// memcpy itself. The bulk moves eight bytes per step (`rep stosq`, `rep movsq`) and only the
// last 0–7 bytes go one by one: QEMU's software emulation runs the string instructions one
// element per step, so eight-byte elements zero or copy a page about eight times faster than
// byte-wise `rep stosb`/`rep movsb`, and hardware runs both at full memory speed.

        .text
        .global memset, memcpy, memmove, memcmp, strlen

// void *memset(void *dst, int byte, size_t count)
memset:
        movq %rdi, %r9
        movzbl %sil, %eax
        movabsq $0x0101010101010101, %r8
        imulq %r8, %rax                 // the byte in all eight bytes
        movq %rdx, %rcx
        shrq $3, %rcx
        rep stosq
        movq %rdx, %rcx
        andq $7, %rcx
        rep stosb
        movq %r9, %rax
        ret

// void *memcpy(void *dst, const void *src, size_t count)
memcpy:
        movq %rdi, %rax
        movq %rdx, %rcx
        shrq $3, %rcx
        rep movsq
        movq %rdx, %rcx
        andq $7, %rcx
        rep movsb
        ret

// void *memmove(void *dst, const void *src, size_t count): copies backwards when the
// destination starts inside the source: first the odd tail bytes from the last one down,
// then the eight-byte words from the last one down.
memmove:
        movq %rdi, %rax
        cmpq %rsi, %rdi
        jbe memcpy
        leaq (%rsi, %rdx), %r8
        cmpq %r8, %rdi
        jae memcpy
        leaq -1(%rdi, %rdx), %rdi
        leaq -1(%rsi, %rdx), %rsi
        movq %rdx, %rcx
        andq $7, %rcx
        std
        rep movsb
        subq $7, %rdi                   // onto the first byte of the last whole word
        subq $7, %rsi
        movq %rdx, %rcx
        shrq $3, %rcx
        rep movsq
        cld
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
