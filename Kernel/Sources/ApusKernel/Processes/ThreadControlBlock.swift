import X86_64Support

/// A thread's control block: what the kernel keeps of one thread of execution, a program's
/// (a *user* thread) or the kernel's own (a *kernel* thread), and what the scheduler
/// switches between.
///
/// Each thread has its own kernel stack (from ``KernelStacks``), on which its trap and
/// system call frames (the program's registers) and the Swift frames of whatever it is
/// doing in the kernel live while it does not run; its saved stack pointer, where it
/// stopped (`switch_context`); and its FPU/SSE state, which the kernel never uses itself
/// and so saves and restores only when it switches threads.
///
/// A *user* thread belongs to a process (which may have several: they share its memory and
/// files) and leaves for ring 3 when it first runs. A *kernel* thread belongs to no process:
/// it runs a Swift function in ring 0 on the kernel's page table and ends when the function
/// returns (the kernel's own checks of its synchronisation types use them).
final class ThreadControlBlock {
    /// The size of every kernel stack.
    static let stackSize = KernelStacks.size
    /// The size of an FXSAVE area.
    static let fpuStateSize = HeapBudget.fpuStateBytes

    /// The threads whose stacks are allocated now (made and not yet deinitialized): what a
    /// run reports as kernel stacks in use, so a thread kept alive anywhere shows.
    nonisolated(unsafe) private(set) static var liveCount = 0
    /// The first id of kernel threads: far above any process's or user thread's.
    static let firstKernelThreadID = 1 << 40

    /// Unique among the threads of a run; a process's first thread has the process's id.
    let id: ThreadID
    /// The name `thread_create` gave it (cut to 32 bytes); empty for a process's first
    /// thread and for kernel threads.
    let name: [UInt8]
    /// The process the thread runs; `nil` for a kernel thread, and once the thread is reaped.
    private(set) var process: ProcessControlBlock?
    /// What a kernel thread does; `nil` for a user thread.
    private(set) var work: (() -> Void)?
    var state = ThreadState.ready
    /// The CPU it last ran on: a woken thread goes back there unless another has less load.
    var lastCPU = CPUIndex.bootstrap
    /// Its last page fault on a page that allowed the access (ApusCore's StaleFaultMemory).
    var faultMemory = StaleFaultMemory()
    /// Set when the thread must end as soon as it next runs (its process was ended from
    /// elsewhere: `exit_group`, a fault in another thread, the run is over, or a deadlock).
    var mustEnd = false
    /// Set while it waits in a Linux system call that a signal ends (``Scheduler/interrupt(_:)``).
    var waitsInterruptibly = false
    /// Set when a signal was posted for it to take, until its next delivery: a tick reads it
    /// without the kernel lock, to know whether to enter the kernel
    /// (ProcessRun+SignalPosting.swift).
    var signalHint = false
    /// A Linux thread's FS base (`arch_prctl(ARCH_SET_FS)`), loaded whenever it runs.
    var threadPointer: UInt64 = 0
    /// Where `switch_context` saves the thread's stack pointer (memory of its own: the switch
    /// writes it and only returns much later).
    let savedStackPointer = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    private let stack: UnsafeMutableRawPointer
    /// The FXSAVE area of the thread's FPU and SSE registers.
    let fpuState: UnsafeMutableRawPointer

    /// A thread of `process` whose first run leaves for ring 3 with `frame`, the FPU/SSE
    /// state `fpu` (an FXSAVE image) and the data segment selectors `segments` (DS, ES, FS,
    /// GS, 16 bits each from the lowest, as `read_data_segments` gives them; all null for a
    /// new program or thread).
    init(id: ThreadID, process: ProcessControlBlock, frame: TrapFrame, fpu: UnsafeRawPointer, segments: UInt64 = 0, name: [UInt8] = []) {
        self.id = id
        self.name = name
        self.process = process
        (stack, fpuState) = Self.allocate(fpu: fpu)
        // The frame at the top; below it, what the first switch pops (Self.prepareFirstSwitch).
        let framePointer = stackTop - UInt64(MemoryLayout<TrapFrame>.size)
        UnsafeMutableRawPointer(bitPattern: UInt(framePointer))!.storeBytes(of: frame, as: TrapFrame.self)
        savedStackPointer.pointee = Self.prepareFirstSwitch(below: framePointer, to: thread_first_entry, segments: segments)
    }

    /// A kernel thread that runs `work` in ring 0, then ends; `number` makes its id
    /// (``firstKernelThreadID`` + `number`).
    init(number: Int, work: @escaping () -> Void) {
        id = ThreadID(Self.firstKernelThreadID + number)
        name = []
        self.work = work
        (stack, fpuState) = Self.allocate(fpu: clean_fpu_state_address())
        savedStackPointer.pointee = Self.prepareFirstSwitch(below: stackTop, to: kernel_thread_first_entry, segments: 0)
    }

    deinit {
        Self.liveCount -= 1
        savedStackPointer.deallocate()
        KernelStacks.giveBack(stack)
        fpuState.deallocate()
    }

    private static func allocate(fpu: UnsafeRawPointer) -> (stack: UnsafeMutableRawPointer, fpuState: UnsafeMutableRawPointer) {
        let stack = KernelStacks.take()
        let fpuState = UnsafeMutableRawPointer.allocate(byteCount: fpuStateSize, alignment: 16)
        fpuState.copyMemory(from: fpu, byteCount: fpuStateSize)
        liveCount += 1
        return (stack, fpuState)
    }

    /// Lays out the stack below `top` as `switch_context` leaves it: the address the first
    /// switch returns to (`entry`), below it the six callee-saved registers (zero) and the four
    /// data segment selectors, DS first. Returns the stack pointer to save.
    private static func prepareFirstSwitch(below top: UInt64, to entry: @convention(c) () -> Void, segments: UInt64) -> UInt64 {
        var pointer = top
        func push(_ value: UInt64) {
            pointer -= 8
            UnsafeMutableRawPointer(bitPattern: UInt(pointer))!.storeBytes(of: value, as: UInt64.self)
        }
        push(UInt64(UInt(bitPattern: unsafeBitCast(entry, to: UnsafeRawPointer.self))))
        for _ in 0..<6 { push(0) }
        for index in 0..<4 { push(segments >> UInt64(16 * index) & 0xFFFF) }
        return pointer
    }

    /// The first address above the thread's stack.
    var stackTop: UInt64 { UInt64(UInt(bitPattern: stack)) + UInt64(Self.stackSize) }

    /// Lets go of the process and the work (when the thread is reaped), so they can go too.
    func release() {
        process = nil
        work = nil
    }
}

/// context_switch.S: a new kernel thread runs its work.
@_cdecl("apus_kernel_thread_main")
public func apusKernelThreadMain() {
    guard let work = CPU.this.current?.work else { fatalError("a kernel thread with no work") }
    work()
}
