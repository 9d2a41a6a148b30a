/// What all the processes of a run may make the kernel keep, together.
///
/// The kernel keeps a process's regions and its pipes' buffers on its heap, which has a
/// fixed size. A bound per process is not enough once a process can fork: 64 processes
/// each at its own limit would need many times the heap. So the regions and pipes of every
/// address space and file table of a run draw on one budget, and a call that would go past
/// it fails with the documented error (``KernelError/noMemory`` for a region,
/// ``KernelError/tooManyOpenFile`` for a pipe) instead of the kernel running dry.
///
/// A standalone address space (a host test) gets a budget of its own.
public final class ResourceBudget {
    /// Regions all the address spaces may hold together (a process alone may use them all).
    public let regionLimit: Int
    /// Pipes that may exist at once (each holds a 4 KiB buffer).
    public let pipeLimit: Int
    public private(set) var regions = 0
    public private(set) var pipes = 0

    public init(regionLimit: Int = 131_072, pipeLimit: Int = 1024) {
        self.regionLimit = regionLimit
        self.pipeLimit = pipeLimit
    }

    /// Takes `count` regions from the budget; false (and nothing taken) past the limit.
    func takeRegions(_ count: Int = 1) -> Bool {
        guard regions + count <= regionLimit else { return false }
        regions += count
        return true
    }

    func returnRegions(_ count: Int = 1) {
        precondition(regions >= count, "more regions returned than taken")
        regions -= count
    }

    /// Takes a pipe from the budget; false past the limit.
    func takePipe() -> Bool {
        guard pipes < pipeLimit else { return false }
        pipes += 1
        return true
    }

    func returnPipe() {
        precondition(pipes > 0, "more pipes returned than taken")
        pipes -= 1
    }
}
