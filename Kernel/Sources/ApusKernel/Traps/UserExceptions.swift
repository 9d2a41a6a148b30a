import ApusCore
import X86_64Support

/// What the CPU raises while a program runs (Trap.swift sends it here): a page fault, which
/// the process's memory may serve (``MmStruct/handlePageFault(at:errorCode:)``), another
/// exception, which ends the process, and the timer's tick, which ends the time slice.
///
/// A fault is served holding the file system lock (FileSystemLock.swift): its page may be a
/// file's, read through the page cache. A fault that finds no frame is served once more after
/// the caches wrote dirty pages back and gave their frames up, before the process is ended.
extension ProcessRun {
    /// An exception of the running thread: a page its process's pager serves, or the end of
    /// the whole process with status −1 and a line in the kernel log (ABI.md §3, §5).
    func handleUserException(_ frame: UnsafeMutablePointer<TrapFrame>) {
        // Borrowed, not counted, as in `systemCall`: a page fault is as hot a path.
        unowned(unsafe) let thread = running.thread
        unowned(unsafe) let process = running.process
        let vector = frame.pointee.vector
        let address = read_cr2()
        let threadID = thread.id
        let acquisition = FileSystemLock.acquire(by: threadID)
        guard acquisition != .ended else {
            cpu_local_set_exit_pending()
            return
        }
        defer { FileSystemLock.release(by: threadID) }
        if vector == Traps.pageFault {
            let errorCode = PageFaultErrorCode(rawValue: frame.pointee.errorCode)
            // A thread that waited for the lock may find its page served by another thread
            // of its process (which faulted on it too): that is no stale translation.
            let waited = acquisition == .afterWaiting
            var resolution = Unmanaged.passUnretained(process)._withUnsafeGuaranteedRef {
                $0.core.mm.handlePageFault(at: VirtualAddress(address), errorCode: errorCode,
                                           remembering: &thread.faultMemory, mayBeServedAlready: waited)
            }
            if resolution == .outOfMemory, RootVolume.releaseFramesWritingBack() > 0 {
                resolution = Unmanaged.passUnretained(process)._withUnsafeGuaranteedRef {
                    $0.core.mm.handlePageFault(at: VirtualAddress(address), errorCode: errorCode, remembering: &thread.faultMemory)
                }
            }
            switch resolution {
            case .resolved: return
            case .segmentationFault(let cause):
                log("\(describe(thread, of: process)): page fault at \(hexadecimal(address)): \(cause) (rip \(hexadecimal(frame.pointee.rip))); process killed with status -1")
            case .outOfMemory:
                log("\(describe(thread, of: process)): page fault at \(hexadecimal(address)): no frame left for the page, the process had \(process.frameCount) frames (rip \(hexadecimal(frame.pointee.rip))); process killed with status -1")
            }
        } else {
            log("\(describe(thread, of: process)): \(exceptionName(vector)) at rip \(hexadecimal(frame.pointee.rip)); process killed with status -1")
        }
        exitRunning(status: -1)
    }

    /// A timer tick while a program ran: its time slice is over.
    func tick() {
        scheduler.preempt()
        if scheduler.current?.mustEnd == true { cpu_local_set_exit_pending() }
    }
}
