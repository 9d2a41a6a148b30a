/* regs: a system call preserves every register but rax, rcx and r11 (ABI.md §1): calls that
 * fail, calls that copy data in and out (read, write, pipe), and a read into a page never
 * touched before, which the kernel faults in on the way. */
#include <fcntl.h>
#include <mman.h>
#include <stdio.h>
#include <syscall.h>

/* Makes system call `number` with arguments a0, a1, a2 while every other register holds a
 * known value; stores the registers after it in out[] and returns the call's result. */
long preserved_registers(long out[12], long number, long a0, long a1, long a2);
__asm__(
    ".text\n"
    ".globl preserved_registers\n"
    "preserved_registers:\n"
    "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  push %rdi\n"
    "  mov %rsi, %rax\n"
    "  mov %rdx, %rdi\n"
    "  mov %rcx, %rsi\n"
    "  mov %r8, %rdx\n"
    "  movabs $0x1111111111111111, %rbx\n"
    "  movabs $0x2222222222222222, %rbp\n"
    "  movabs $0x3333333333333333, %r12\n"
    "  movabs $0x4444444444444444, %r13\n"
    "  movabs $0x5555555555555555, %r14\n"
    "  movabs $0x6666666666666666, %r15\n"
    "  movabs $0x7777777777777777, %r8\n"
    "  movabs $0x8888888888888888, %r9\n"
    "  movabs $0x9999999999999999, %r10\n"
    "  syscall\n"
    "  xchg %rax, (%rsp)\n"
    "  mov %rbx, 0(%rax)\n  mov %rbp, 8(%rax)\n  mov %r12, 16(%rax)\n  mov %r13, 24(%rax)\n"
    "  mov %r14, 32(%rax)\n  mov %r15, 40(%rax)\n  mov %r8, 48(%rax)\n  mov %r9, 56(%rax)\n"
    "  mov %r10, 64(%rax)\n  mov %rsi, 72(%rax)\n  mov %rdx, 80(%rax)\n  mov %rdi, 88(%rax)\n"
    "  pop %rax\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
    "  ret\n");

static int check(const char *call, long number, long a0, long a1, long a2) {
    static const char *names[12] = { "rbx", "rbp", "r12", "r13", "r14", "r15", "r8", "r9", "r10", "rsi", "rdx", "rdi" };
    long expected[12] = {
        0x1111111111111111, 0x2222222222222222, 0x3333333333333333, 0x4444444444444444,
        0x5555555555555555, 0x6666666666666666, 0x7777777777777777, (long)0x8888888888888888,
        (long)0x9999999999999999, a1, a2, a0,
    };
    long registers[12];
    long result = preserved_registers(registers, number, a0, a1, a2);
    int changed = 0;
    for (int i = 0; i < 12; i++) {
        if (registers[i] != expected[i]) { printf("%s changed: %lx\n", names[i], registers[i]); changed++; }
    }
    printf("%s: result %ld, %d registers changed\n", call, result, changed);
    return changed;
}

int main(void) {
    static char buffer[64];
    static int fds[2];
    int changed = check("tell(1)", SYS_TELL, 1, (long)0xaaaaaaaaaaaaaaaa, (long)0xbbbbbbbbbbbbbbbb);
    long file = open("hello.txt", O_RDONLY);
    changed += check("read(file)", SYS_READ, file, (long)buffer, 13);
    changed += check("pipe", SYS_PIPE, (long)fds, 0, 0);
    changed += check("write(pipe)", SYS_WRITE, fds[1], (long)buffer, 13);
    changed += check("read(pipe)", SYS_READ, fds[0], (long)buffer + 16, 13);
    char *fresh = mmap((void *)0x10000000, 4096, PROT_READ | PROT_WRITE, -1, 0);
    seek(file, 0, SEEK_SET);
    changed += check("read(file) into a fresh page", SYS_READ, file, (long)fresh, 13);
    printf("%d registers changed in all\n", changed);
    return changed;
}
