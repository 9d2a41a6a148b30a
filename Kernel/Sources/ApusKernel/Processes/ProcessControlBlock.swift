import X86_64Support

/// A process's control block: what the kernel keeps of a live process. It holds the process
/// itself (ApusCore's `UserProcess`: its memory, files and threads), its id and its parent's,
/// and how it ended. Its threads (``ThreadControlBlock``) run it, one or more; the run
/// (ProcessRun) keeps the table of live processes (ApusCore's ``ProcessTable``).
///
/// The memory goes when the process object goes: the table lets go of it when the process
/// ends and each thread when it is freed, which the scheduler does right after it switched
/// away from the thread, before any program runs again. So a process woken by the end of
/// another (a closed pipe) finds that memory free.
final class ProcessControlBlock {

    let id: ProcessID
    /// The process that forked this one; 0 for the run's first process.
    let parentID: ProcessID
    var core: UserProcess<DirectMap, PagingPolicy>
    /// The status it ended with, once it has.
    var exitStatus: Int64?
    /// A Linux process's wait status, when it ended by `exit` or `exit_group` (a fault's
    /// is SIGSEGV's).
    var waitStatus: Int32?
    /// Where a Linux parent waits in `wait4` for its children to end.
    let childEnded = ConditionVariable("a child process ends")

    init(id: ProcessID, parentID: ProcessID, core: consuming UserProcess<DirectMap, PagingPolicy>) {
        self.id = id
        self.parentID = parentID
        self.core = core
    }

    /// The root of its page table, for CR3.
    var pageTableRoot: UInt64 { core.mm.pageTable.root.raw }

    /// Frames its address space holds: the root, the other tables and the mapped pages.
    var frameCount: Int { 1 + core.mm.pageTable.tableCount() + core.mm.pageTable.mappedPageCount() }

    /// The frame a new program's thread starts from (ABI.md §3): `rip` at the entry point,
    /// `rsp` on the stack built for it, `rdi = argc`, `rsi = argv`, `rflags = 0x202`, the user
    /// segments, every other register 0.
    static func firstFrame(_ start: ProgramLaunch.Start) -> TrapFrame {
        var registers = GeneralRegisters.zero
        registers.rdi = start.stack.argumentCount
        registers.rsi = start.stack.argumentVector
        return TrapFrame(registers: registers, vector: 0, errorCode: 0, rip: start.entry.raw, cs: UserSegments.code,
                         rflags: UserSegments.initialFlags, rsp: start.stack.stackPointer, ss: UserSegments.data)
    }

    /// The frame a new thread of a process starts from (`thread_create`, ABI.md §5): `rip` at
    /// its function, `rsp` below the 0 return address, `rdi` its argument, `rflags = 0x202`,
    /// every other register 0.
    static func threadFrame(_ start: ThreadStart) -> TrapFrame {
        var registers = GeneralRegisters.zero
        registers.rdi = start.argument
        return TrapFrame(registers: registers, vector: 0, errorCode: 0, rip: start.entry.raw, cs: UserSegments.code,
                         rflags: UserSegments.initialFlags, rsp: start.stackPointer.raw, ss: UserSegments.data)
    }

    /// The frame a forked child's thread starts from: the parent's registers at its `syscall`,
    /// returning 0, at the instruction after it, as the parent returns.
    static func childFrame(_ frame: TrapFrame) -> TrapFrame {
        var child = frame
        child.registers.rax = 0
        child.rflags = frame.rflags & UserSegments.programFlags | UserSegments.initialFlags
        (child.vector, child.errorCode, child.cs, child.ss) = (0, 0, UserSegments.code, UserSegments.data)
        return child
    }
}

/// The segments and flags of ring 3 (the GDT in boot.S).
enum UserSegments {
    static let code: UInt64 = 0x23
    static let data: UInt64 = 0x1B
    /// IF set (and the always-one bit 1).
    static let initialFlags: UInt64 = 0x202
    /// The flags a program may set itself: CF, PF, AF, ZF, SF, DF, OF.
    static let programFlags: UInt64 = 0xCD5
}

extension GeneralRegisters {
    static var zero: GeneralRegisters {
        GeneralRegisters(r15: 0, r14: 0, r13: 0, r12: 0, r11: 0, r10: 0, r9: 0, r8: 0, rbp: 0, rdi: 0, rsi: 0, rdx: 0, rcx: 0, rbx: 0, rax: 0)
    }
}
