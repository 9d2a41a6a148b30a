/// A disk made of memory, for tests: a ``BlockDevice`` that can fail on purpose.
///
/// A file system is only as good as what it does when the disk misbehaves, and a real disk
/// misbehaves rarely and never on cue. This device does it on cue:
/// * ``failRead(number:)`` and ``failWrite(number:)``: the n-th read or write (counting from
///   1 since the device was made) reports ``KernelError/ioError`` and changes nothing;
///   every other call works.
/// * ``cutPower(afterWrite:)``: the power goes at the moment the n-th write has reached
///   the disk. Every later write and flush fails with ``KernelError/ioError`` (the machine
///   is dead; the test's workload stops at the first error), and ``imageAfterPowerCut(_:)``
///   returns the disk as a reboot would find it.
/// * ``tearWrite(number:)``: the n-th write reaches the disk only half way (its first half
///   new, the rest the old bytes), and the power goes right then.
///
/// Like a real disk, the device has a volatile write cache: a write that returned is
/// *written* but only *durable* after a ``flush()``. What a power cut keeps of the writes
/// since the last flush is the ``PowerCutLoss`` the test asks for: all of them (nothing
/// after write n reaches the disk, but everything up to it does), or a seeded random subset
/// of them, block by block, as a cache that writes back in any order would leave.
///
/// Blocks that were never written (or were written with zeros) hold zeros and cost no
/// memory, so a test can make a disk of a million blocks. Calls outside the contract (a
/// block number out of range, a buffer that is not one block) are counted in
/// ``contractViolations`` and fail with ``KernelError/ioError`` instead of stopping the
/// test, so a fuzzer can assert that none happened.
public final class MemoryBlockDevice: BlockDevice {
    public let blockCount: UInt64

    /// What reads see: every write that returned.
    private var written = AddressMap<[UInt8]>()
    /// What a power cut cannot take away: the contents as of the last flush.
    private var durable = AddressMap<[UInt8]>()
    private var failingRead: Int?
    private var failingWrite: Int?
    private var lastWriteBeforeCut: Int?
    private var tornWrite: Int?

    /// Reads, writes and flushes asked of the device so far (failed ones included).
    public private(set) var readCount = 0
    public private(set) var writeCount = 0
    public private(set) var flushCount = 0
    /// The block numbers of the writes that reached the device, in order (flushes as 0).
    public private(set) var writeLog: [UInt64] = []
    /// Calls that broke the device's contract (see the type's description).
    public private(set) var contractViolations = 0

    /// A zeroed disk of `blockCount` blocks.
    public init(blockCount: UInt64) {
        self.blockCount = blockCount
    }

    /// Whether the power has gone (after ``cutPower(afterWrite:)`` or ``tearWrite(number:)``).
    public var powerIsCut: Bool { lastWriteBeforeCut.map { writeCount >= $0 } ?? false }

    /// Makes the `number`-th read (counting from 1 since the device was made) fail.
    public func failRead(number: Int) { failingRead = number }
    /// Makes the `number`-th write fail, leaving the block as it was.
    public func failWrite(number: Int) { failingWrite = number }
    /// Cuts the power right after the `number`-th write reaches the disk.
    public func cutPower(afterWrite number: Int) { lastWriteBeforeCut = number }
    /// Makes the `number`-th write reach the disk half way, then cuts the power.
    public func tearWrite(number: Int) {
        tornWrite = number
        lastWriteBeforeCut = number
    }

    public func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KernelError) {
        guard isValid(block, buffer.count) else { throw .ioError }
        readCount += 1
        if readCount == failingRead { throw .ioError }
        fill(buffer, with: written.value(at: block))
    }

    public func write(block: UInt64, from buffer: UnsafeRawBufferPointer) throws(KernelError) {
        guard isValid(block, buffer.count) else { throw .ioError }
        if powerIsCut { throw .ioError }
        writeCount += 1
        if writeCount == failingWrite { throw .ioError }
        var contents = Array(buffer)
        if writeCount == tornWrite {
            let half = BlockGeometry.blockSize / 2
            let old = written.value(at: block) ?? [UInt8](repeating: 0, count: BlockGeometry.blockSize)
            contents.replaceSubrange(half..., with: old[half...])
        }
        store(contents, at: block, in: &written)
        writeLog.append(block)
    }

    public func flush() throws(KernelError) {
        if powerIsCut { throw .ioError }
        flushCount += 1
        durable = written.copy()
        writeLog.append(0)
    }

    /// A copy of every block, as a fresh device with nothing injected and its counters at 0.
    public func copy() -> MemoryBlockDevice {
        let device = MemoryBlockDevice(blockCount: blockCount)
        device.written = written.copy()
        device.durable = written.copy()
        return device
    }

    /// The disk as a machine rebooted after the power cut finds it, as a fresh device.
    public func imageAfterPowerCut(_ loss: PowerCutLoss) -> MemoryBlockDevice {
        let device = MemoryBlockDevice(blockCount: blockCount)
        switch loss {
        case .nothingWritten:
            device.written = written.copy()
        case .unflushedAtRandom(let seed):
            // Each cut point draws its own coins.
            let seed = seed ^ UInt64(writeCount) &* 0x0100_0000_01B3
            var survivors = durable.copy()
            written.forEach { block, contents in
                // A block's last write survives, or the cache never wrote it back.
                guard Self.coin(seed, block), contents != durable.value(at: block) else { return }
                Self.store(contents, at: block, in: &survivors)
            }
            durable.forEach { block, _ in
                if written.value(at: block) == nil, Self.coin(seed, block) { survivors.remove(at: block) }
            }
            device.written = survivors
        }
        device.durable = device.written.copy()
        return device
    }

    /// The contents of `block` as they stand (zeros for a block never written).
    public func contents(of block: UInt64) -> [UInt8] {
        written.value(at: block) ?? [UInt8](repeating: 0, count: BlockGeometry.blockSize)
    }

    /// Overwrites `block` behind the file system's back (for tests that damage an image).
    public func damage(block: UInt64, with contents: [UInt8]) {
        precondition(contents.count == BlockGeometry.blockSize && block >= 1 && block <= blockCount)
        store(contents, at: block, in: &written)
        durable = written.copy()
    }

    /// The numbers of the blocks that hold anything but zeros, in order.
    public var nonZeroBlocks: [UInt64] {
        var blocks: [UInt64] = []
        written.forEach { block, _ in blocks.append(block) }
        return blocks
    }

    /// A fair coin for `block` under `seed` (SplitMix64's finaliser of the two).
    private static func coin(_ seed: UInt64, _ block: UInt64) -> Bool {
        var z = seed &+ block &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return (z ^ (z >> 31)) >> 63 == 1
    }

    private func isValid(_ block: UInt64, _ count: Int) -> Bool {
        guard block >= 1, block <= blockCount, count == BlockGeometry.blockSize else {
            contractViolations += 1
            return false
        }
        return true
    }

    private func fill(_ buffer: UnsafeMutableRawBufferPointer, with contents: [UInt8]?) {
        guard let contents else {
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            return
        }
        contents.withUnsafeBytes { buffer.copyMemory(from: $0) }
    }

    private func store(_ contents: [UInt8], at block: UInt64, in map: inout AddressMap<[UInt8]>) {
        Self.store(contents, at: block, in: &map)
    }

    private static func store(_ contents: [UInt8], at block: UInt64, in map: inout AddressMap<[UInt8]>) {
        map.remove(at: block)
        let isZero = contents.withUnsafeBytes { bytes in
            (0..<bytes.count / 8).allSatisfy { bytes.load(fromByteOffset: 8 * $0, as: UInt64.self) == 0 }
        }
        if !isZero { map.insert(contents, at: block) }
    }
}

/// What a power cut takes of the writes a ``MemoryBlockDevice`` had not flushed yet.
public enum PowerCutLoss: Equatable, Sendable {
    /// Nothing: every write up to the cut is on the disk, none after it.
    case nothingWritten
    /// Each block written since the last flush keeps its last write or its flushed
    /// contents, at random (seeded).
    case unflushedAtRandom(seed: UInt64)
}
