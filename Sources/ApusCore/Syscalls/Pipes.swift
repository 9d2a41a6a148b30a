/// The pipe system call, as a concept: `pipe` makes a pipe and gives the process both ends
/// (ABI.md §2, §5).
///
/// A pipe is a one-way channel of bytes between the threads and processes that hold its
/// ends: what is written at the write end comes out of the read end, in order. Its bytes
/// live in a ``PipeBuffer`` of fixed size; a reader of an empty pipe and a writer of a full
/// one wait on its conditions (the reading and writing are the file calls', `Files.swift`).
/// A process passes a pipe to its children by `fork`, which copies the descriptors.
extension UserProcess {
    /// `pipe`: makes a pipe and stores its descriptors at `result` in the program's memory
    /// (two C `int`s: the read end, then the write end). The descriptors are chosen, written
    /// to the program, and only then installed, so a failed copy leaves the file table as it
    /// was. ``KernelError/badAddress`` when `result` is not 8 writable bytes,
    /// ``KernelError/tooManyOpenFile`` when the table has fewer than two free descriptors or
    /// the run has made as many pipes as its budget allows.
    public mutating func pipe(storingDescriptorsAt result: VirtualAddress) throws(KernelError) {
        guard mm.accessOK(result, length: 8, write: true) else { throw .badAddress }
        let descriptors = files.lowestFreeDescriptors(2)
        guard descriptors.count == 2 else { throw .tooManyOpenFile }
        let (reader, writer) = (descriptors[0], descriptors[1])
        // Every pipe of the run counts against one budget, like a system-wide file limit.
        guard mm.budget.takePipe() else { throw .tooManyOpenFile }
        do throws(KernelError) {
            try mm.copyOut(value: UInt64(UInt32(bitPattern: reader)) | UInt64(UInt32(bitPattern: writer)) << 32, to: result)
        } catch {
            mm.budget.returnPipe()
            throw error
        }
        let pipe = PipeBuffer(budget: mm.budget, wakeups: wakeups)
        let installedReader = try files.install(OpenFile(.pipeReader(pipe)))
        let installedWriter = try files.install(OpenFile(.pipeWriter(pipe)))
        precondition(installedReader == reader && installedWriter == writer, "pipe: the file table chose other descriptors")
    }
}
