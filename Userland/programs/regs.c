/* regs: a system call preserves every register but rax, rcx and r11 (ABI.md §1). */
#include <stdio.h>

long preserved_registers(long out[12]);
__asm__(
    ".text\n"
    ".globl preserved_registers\n"
    "preserved_registers:\n"
    "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  push %rdi\n"
    "  movabs $0x1111111111111111, %rbx\n"
    "  movabs $0x2222222222222222, %rbp\n"
    "  movabs $0x3333333333333333, %r12\n"
    "  movabs $0x4444444444444444, %r13\n"
    "  movabs $0x5555555555555555, %r14\n"
    "  movabs $0x6666666666666666, %r15\n"
    "  movabs $0x7777777777777777, %r8\n"
    "  movabs $0x8888888888888888, %r9\n"
    "  movabs $0x9999999999999999, %r10\n"
    "  movabs $0xaaaaaaaaaaaaaaaa, %rsi\n"
    "  movabs $0xbbbbbbbbbbbbbbbb, %rdx\n"
    "  mov $1, %edi\n"
    "  mov $5, %eax\n" /* tell(1): InvalidArgument */
    "  syscall\n"
    "  xchg %rax, (%rsp)\n"
    "  mov %rbx, 0(%rax)\n  mov %rbp, 8(%rax)\n  mov %r12, 16(%rax)\n  mov %r13, 24(%rax)\n"
    "  mov %r14, 32(%rax)\n  mov %r15, 40(%rax)\n  mov %r8, 48(%rax)\n  mov %r9, 56(%rax)\n"
    "  mov %r10, 64(%rax)\n  mov %rsi, 72(%rax)\n  mov %rdx, 80(%rax)\n  mov %rdi, 88(%rax)\n"
    "  pop %rax\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
    "  ret\n");

int main(void) {
    static const char *names[12] = { "rbx", "rbp", "r12", "r13", "r14", "r15", "r8", "r9", "r10", "rsi", "rdx", "rdi" };
    static const long expected[12] = {
        0x1111111111111111, 0x2222222222222222, 0x3333333333333333, 0x4444444444444444,
        0x5555555555555555, 0x6666666666666666, 0x7777777777777777, (long)0x8888888888888888,
        (long)0x9999999999999999, (long)0xaaaaaaaaaaaaaaaa, (long)0xbbbbbbbbbbbbbbbb, 1,
    };
    long registers[12];
    long result = preserved_registers(registers);
    int changed = 0;
    for (int i = 0; i < 12; i++) {
        if (registers[i] != expected[i]) { printf("%s changed: %lx\n", names[i], registers[i]); changed++; }
    }
    printf("result %ld, %d registers changed\n", result, changed);
    return changed;
}
