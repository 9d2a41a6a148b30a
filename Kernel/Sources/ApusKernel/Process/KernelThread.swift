import ApusCore
import KernelSupport

/// A thread of execution in the kernel: what the scheduler switches between.
///
/// Each thread has its own kernel stack, on which its trap and system call frames (the
/// program's registers) and the Swift frames of whatever it is doing in the kernel live
/// while it does not run; its saved stack pointer, where it stopped (`switch_context`); and
/// its FPU/SSE state, which the kernel never uses itself and so saves and restores only when
/// it switches threads. A thread belongs to one process; a process has one thread.
final class KernelThread {
    enum State: Equatable {
        /// On the run queue, or running.
        case ready
        /// Waiting on a queue for its condition.
        case waiting(WaitQueue)
        /// Finished: its stack is freed once the scheduler has switched away from it.
        case ended
    }

    /// The size of every kernel stack.
    static let stackSize = 64 * 1024

    let id: Int
    /// The process the thread runs; dropped when the thread is reaped.
    private(set) var process: UserProcess?
    var state = State.ready
    /// Set when the thread must end as soon as it next runs (its process was ended from
    /// elsewhere: the run is over, or a deadlock).
    var mustEnd = false
    /// Where `switch_context` saves the thread's stack pointer (memory of its own: the switch
    /// writes it and only returns much later).
    let savedStackPointer = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    private let stack: UnsafeMutableRawPointer
    /// The FXSAVE area of the thread's FPU and SSE registers.
    let fpuState: UnsafeMutableRawPointer

    /// A thread of `process` whose first run leaves for ring 3 with `frame`, the FPU/SSE
    /// state `fpu` (an FXSAVE image) and the data segment selectors `segments` (DS, ES, FS,
    /// GS, 16 bits each from the lowest, as `read_data_segments` gives them; all null for a
    /// new program).
    init(id: Int, process: UserProcess, frame: TrapFrame, fpu: UnsafeRawPointer, segments: UInt64 = 0) {
        self.id = id
        self.process = process
        stack = UnsafeMutableRawPointer.allocate(byteCount: Self.stackSize, alignment: 16)
        fpuState = UnsafeMutableRawPointer.allocate(byteCount: 512, alignment: 16)
        fpuState.copyMemory(from: fpu, byteCount: 512)
        // The stack as switch_context leaves it: the frame at the top, below it the address
        // the first switch returns to, below that the six callee-saved registers (zero) and
        // the four data segment selectors, DS first.
        let framePointer = UInt64(UInt(bitPattern: stack)) + UInt64(Self.stackSize) - UInt64(MemoryLayout<TrapFrame>.size)
        UnsafeMutableRawPointer(bitPattern: UInt(framePointer))!.storeBytes(of: frame, as: TrapFrame.self)
        let entry = UInt64(UInt(bitPattern: unsafeBitCast(thread_first_entry as @convention(c) () -> Void, to: UnsafeRawPointer.self)))
        var pointer = framePointer - 8
        UnsafeMutableRawPointer(bitPattern: UInt(pointer))!.storeBytes(of: entry, as: UInt64.self)
        for _ in 0..<6 {
            pointer -= 8
            UnsafeMutableRawPointer(bitPattern: UInt(pointer))!.storeBytes(of: UInt64(0), as: UInt64.self)
        }
        for index in 0..<4 {
            pointer -= 8
            UnsafeMutableRawPointer(bitPattern: UInt(pointer))!.storeBytes(of: segments >> UInt64(16 * index) & 0xFFFF, as: UInt64.self)
        }
        savedStackPointer.pointee = pointer
    }

    deinit {
        savedStackPointer.deallocate()
        stack.deallocate()
        fpuState.deallocate()
    }

    /// The first address above the thread's stack.
    var stackTop: UInt64 { UInt64(UInt(bitPattern: stack)) + UInt64(Self.stackSize) }

    /// Lets go of the process (when the thread is reaped), so that it can go too.
    func releaseProcess() { process = nil }
}
