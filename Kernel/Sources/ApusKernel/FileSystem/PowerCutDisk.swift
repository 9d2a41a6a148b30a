/// A disk whose power goes right after its n-th block write: the kernel's side of the crash
/// tests (`crash-after-writes=N` on the command line, DESIGN.md "Storage").
///
/// A file system is only durable if a power cut at any moment leaves a disk that mounts
/// consistent and keeps what `fsync` promised (ABI.md §6). The host tests cut the power of
/// an in-memory disk after every write of a workload; this does the same to the real machine:
/// the wrapped disk passes every request on, counts the block writes that the device has
/// completed, and the moment the n-th one has, the machine powers off at once, as a power cut
/// would: no later write, no flush, no sync, no unmount, only a line in the log and the
/// status ``statusPowerCut``, which the host recognises as a cut it asked for.
final class PowerCutDisk: BlockDevice {
    /// The kernel's exit status for a power cut (the host's `Machine.statusPowerCut`).
    static let statusPowerCut: UInt32 = 4

    let disk: any BlockDevice
    /// The write after which the power goes (from 1).
    let lastWrite: Int
    private(set) var writes = 0

    init(_ disk: any BlockDevice, cuttingAfterWrite lastWrite: Int) {
        self.disk = disk
        self.lastWrite = lastWrite
    }

    var blockCount: UInt64 { disk.blockCount }

    func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KernelError) {
        try disk.read(block: block, into: buffer)
    }

    func write(block: UInt64, from buffer: UnsafeRawBufferPointer) throws(KernelError) {
        try disk.write(block: block, from: buffer)
        writes += 1
        guard writes >= lastWrite else { return }
        log("power cut: block write \(writes) (block \(block)) reached the disk; the machine stops now (crash-after-writes=\(lastWrite))")
        PowerOff.exit(status: Self.statusPowerCut)
    }

    func flush() throws(KernelError) {
        try disk.flush()
    }
}
