// Saving and restoring the general-purpose registers on kernel entry, shared by the trap
// stubs (trap_entry.S) and the system call entry (syscall_entry.S) so both build the same
// GeneralRegisters record (Trap.swift): r15 at the lowest address, rax at the highest.

// The bytes PUSH_GENERAL_REGISTERS puts on the stack.
#define GENERAL_REGISTERS_SIZE (15 * 8)

// Offsets in a TrapFrame (Trap.swift) from its start: the registers (r15 first, rax last),
// the vector and error code, then what `iretq` pops.
#define FRAME_R11 (4 * 8)
#define FRAME_RCX (12 * 8)
#define FRAME_RIP (GENERAL_REGISTERS_SIZE + 16)
#define FRAME_RFLAGS (GENERAL_REGISTERS_SIZE + 32)
#define FRAME_RSP (GENERAL_REGISTERS_SIZE + 40)

// The user selectors (the GDT in boot.S), with requested privilege level 3.
#define USER_CODE_SELECTOR 0x23
#define USER_DATA_SELECTOR 0x1b

.macro PUSH_GENERAL_REGISTERS
        pushq %rax
        pushq %rbx
        pushq %rcx
        pushq %rdx
        pushq %rsi
        pushq %rdi
        pushq %rbp
        pushq %r8
        pushq %r9
        pushq %r10
        pushq %r11
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
.endm

.macro POP_GENERAL_REGISTERS
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %r11
        popq %r10
        popq %r9
        popq %r8
        popq %rbp
        popq %rdi
        popq %rsi
        popq %rdx
        popq %rcx
        popq %rbx
        popq %rax
.endm
