import X86_64Support

/// Checks of the disk driver against a scratch disk that the host made for the boot
/// (`scratch-disk=BLOCKS` on the command line; `apus boot` makes it).
///
/// The host fills every block with a pattern that names it: 8-byte word `i` of block `n`
/// holds `generation << 56 | n << 16 | i`, little-endian, with generation 0. The checks read
/// every block and compare; rewrite every odd-numbered block with generation 1 and read it
/// back; flush; try requests the driver must refuse; and read the whole disk again from
/// several kernel threads at once, each sleeping until the interrupt of its request. After
/// the boot the host checks that the odd blocks hold generation 1 and the even ones 0: what
/// the kernel wrote reached the image. The checks write only with `scratch-disk`, never on a
/// disk a program runs with.
enum DiskChecks {
    static let wordsPerBlock = BlockGeometry.blockSize / MemoryLayout<UInt64>.size
    static let generationShift: UInt64 = 56, blockShift: UInt64 = 16
    /// How many threads read at once in the threaded check.
    static let readerCount = 4

    /// The pattern word `word` of `block` holds in `generation`.
    static func pattern(block: UInt64, word: Int, generation: UInt64) -> UInt64 {
        generation << generationShift | block << blockShift | UInt64(word)
    }

    /// The generation the checks leave in `block`: 1 in odd blocks (rewritten), else 0.
    static func rewrittenGeneration(_ block: UInt64) -> UInt64 { block % 2 }

    /// Runs the disk checks (HardwareChecks.run, one line each) until one fails.
    static func runAll(blocks: UInt64) -> Bool {
        guard HardwareChecks.run("virtqueue-distrusts-the-used-ring", VirtqueueChecks.distrustsTheUsedRing),
              HardwareChecks.run("disk-found", { found(blocks: blocks) }), let disk = Kernel.disk else { return false }
        let buffers = Buffers()
        defer { buffers.free() }
        return HardwareChecks.run("disk-reads-every-block") { readEveryBlock(disk, buffers) }
            && HardwareChecks.run("disk-writes-read-back-and-flush") { writeReadBack(disk, buffers) }
            && HardwareChecks.run("disk-refuses-bad-requests") { refusesBadRequests(disk, buffers) }
            && HardwareChecks.run("disk-threads-sleep-until-interrupt") { threadsSleepUntilInterrupt(disk) }
            && HardwareChecks.run("disk-speed") { DiskSpeed.measure(disk, buffers) }
    }

    /// Two block buffers, one in each kind of memory the driver takes: the kernel heap, and
    /// a frame of the frame allocator seen through the direct map (as the page cache's).
    final class Buffers {
        let heap = UnsafeMutableRawBufferPointer.allocate(byteCount: BlockGeometry.blockSize, alignment: BlockGeometry.blockSize)
        let frame: PhysicalAddress?
        let directMap: UnsafeMutableRawBufferPointer?

        init() {
            frame = Kernel.memory.frames.allocate()
            directMap = frame.map { UnsafeMutableRawBufferPointer(start: DirectMap.boot.pointer(to: $0), count: BlockGeometry.blockSize) }
        }

        /// The buffer for `block`: the heap's for even blocks, the frame's for odd ones.
        func forBlock(_ block: UInt64) -> UnsafeMutableRawBufferPointer {
            block % 2 == 0 ? heap : directMap ?? heap
        }

        func free() {
            heap.deallocate()
            if let frame { Kernel.memory.frames.free(frame) }
        }
    }

    static func found(blocks: UInt64) -> String? {
        guard let disk = Kernel.disk else { return "the machine has no disk the driver can use (see the disk line above)" }
        return disk.blockCount == blocks ? nil : "the disk holds \(disk.blockCount) blocks, not \(blocks)"
    }

    /// Fills `buffer` with `block`'s pattern of `generation`.
    static func fill(_ buffer: UnsafeMutableRawBufferPointer, block: UInt64, generation: UInt64) {
        for word in 0..<wordsPerBlock {
            buffer.storeBytes(of: pattern(block: block, word: word, generation: generation).littleEndian, toByteOffset: 8 * word, as: UInt64.self)
        }
    }

    /// nil when `buffer` holds `block`'s pattern of `generation`, else the first difference.
    static func compare(_ buffer: UnsafeRawBufferPointer, block: UInt64, generation: UInt64) -> String? {
        for word in 0..<wordsPerBlock {
            let found = UInt64(littleEndian: buffer.load(fromByteOffset: 8 * word, as: UInt64.self))
            let expected = pattern(block: block, word: word, generation: generation)
            if found != expected { return "block \(block) word \(word) holds \(hexadecimal(found)), not \(hexadecimal(expected))" }
        }
        return nil
    }

    /// Reads `block` into `buffer` and compares it with its pattern of `generation`.
    static func readAndCompare(_ disk: VirtioBlockDevice, _ block: UInt64, into buffer: UnsafeMutableRawBufferPointer, generation: UInt64) -> String? {
        do throws(KernelError) {
            try disk.read(block: block, into: buffer)
        } catch {
            return "reading block \(block): \(error)"
        }
        return compare(UnsafeRawBufferPointer(buffer), block: block, generation: generation)
    }

    /// From the boot's context (polling): every block holds the host's pattern.
    static func readEveryBlock(_ disk: VirtioBlockDevice, _ buffers: Buffers) -> String? {
        for block in 1...disk.blockCount {
            if let failure = readAndCompare(disk, block, into: buffers.forBlock(block), generation: 0) { return failure }
        }
        return nil
    }

    /// Every odd block rewritten with generation 1 reads back so, the even blocks between
    /// are untouched, and a flush succeeds.
    static func writeReadBack(_ disk: VirtioBlockDevice, _ buffers: Buffers) -> String? {
        for block in stride(from: UInt64(1), through: disk.blockCount, by: 2) {
            let buffer = buffers.forBlock(block)
            fill(buffer, block: block, generation: 1)
            do throws(KernelError) {
                try disk.write(block: block, from: UnsafeRawBufferPointer(buffer))
            } catch {
                return "writing block \(block): \(error)"
            }
            memset(buffer.baseAddress!, 0, buffer.count)
            if let failure = readAndCompare(disk, block, into: buffer, generation: 1) { return "after the write: \(failure)" }
        }
        for block in 1...disk.blockCount {
            let generation = rewrittenGeneration(block)
            if let failure = readAndCompare(disk, block, into: buffers.forBlock(block), generation: generation) { return failure }
        }
        do throws(KernelError) {
            try disk.flush()
        } catch {
            return "flush: \(error)"
        }
        return nil
    }

    /// Blocks 0 and `blockCount + 1` and buffers of the wrong size or out of the device's
    /// reach are refused before the device sees them (its request count does not move), and
    /// the disk works afterwards.
    static func refusesBadRequests(_ disk: VirtioBlockDevice, _ buffers: Buffers) -> String? {
        let requestsBefore = disk.statistics.requests
        let heap = buffers.heap
        let userPage = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(HardwareChecks.testPage.raw)), count: BlockGeometry.blockSize)
        let attempts: [(String, KernelError, () throws(KernelError) -> Void)] = [
            ("a read of block 0", .ioError, { () throws(KernelError) in try disk.read(block: 0, into: heap) }),
            ("a read of block \(disk.blockCount + 1)", .ioError, { () throws(KernelError) in try disk.read(block: disk.blockCount + 1, into: heap) }),
            ("a write of block \(disk.blockCount + 1)", .ioError, { () throws(KernelError) in try disk.write(block: disk.blockCount + 1, from: UnsafeRawBufferPointer(heap)) }),
            ("a read of block UInt64.max", .ioError, { () throws(KernelError) in try disk.read(block: .max, into: heap) }),
            ("a read into 512 bytes", .invalidArgument, { () throws(KernelError) in try disk.read(block: 1, into: UnsafeMutableRawBufferPointer(rebasing: heap[0..<512])) }),
            ("a read into a user page", .invalidArgument, { () throws(KernelError) in try disk.read(block: 1, into: userPage) }),
        ]
        for (what, expected, attempt) in attempts {
            do throws(KernelError) {
                try attempt()
                return "\(what) was not refused"
            } catch {
                if error != expected { return "\(what) failed with \(error), not \(expected)" }
            }
        }
        if disk.statistics.requests != requestsBefore { return "a refused request reached the device" }
        return readAndCompare(disk, 1, into: heap, generation: rewrittenGeneration(1)).map { "after the refusals: \($0)" }
    }

    /// A kernel thread reading alone sleeps for each request, and with nothing else to run
    /// the CPU halts until the interrupt handler finds the request done and wakes it; then
    /// several threads read the whole disk at once, each a share of its blocks, each sleeping
    /// for each request, with several requests in flight together, and every block arrives
    /// right.
    static func threadsSleepUntilInterrupt(_ disk: VirtioBlockDevice) -> String? {
        guard disk.interruptVector != nil else { return "the disk has no interrupt line" }
        let alone = disk.statistics
        if let failure = readInThreads(disk, count: 1, blocks: min(disk.blockCount, aloneBlocks)) { return "one thread: \(failure)" }
        let together = disk.statistics
        if let failure = sleptAndWasWokenByTheInterrupt(from: alone, to: together) { return "one thread: \(failure)" }
        if let failure = readInThreads(disk, count: readerCount, blocks: disk.blockCount) { return "\(readerCount) threads: \(failure)" }
        let after = disk.statistics
        if let failure = sleptAndWasWokenByTheInterrupt(from: together, to: after) { return "\(readerCount) threads: \(failure)" }
        guard after.peakInFlight >= 2 else { return "the disk never held two requests at once" }
        let line = "disk: one thread read \(together.requests - alone.requests) blocks: \(together.sleeps - alone.sleeps) sleeps, "
            + "\(together.completedByInterrupt - alone.completedByInterrupt) requests found done by the interrupt; "
            + "\(readerCount) threads read \(after.requests - together.requests): \(after.sleeps - together.sleeps) sleeps, "
            + "\(after.completedByInterrupt - together.completedByInterrupt) found done by the interrupt, up to \(after.peakInFlight) in flight"
        log("\(line)")
        return nil
    }

    /// nil when, between `before` and `after`, the thread of every request slept until it
    /// was done, and the interrupt handler found requests done.
    static func sleptAndWasWokenByTheInterrupt(from before: VirtioBlockDevice.Statistics, to after: VirtioBlockDevice.Statistics) -> String? {
        let requests = after.requests - before.requests, sleeps = after.sleeps - before.sleeps
        guard sleeps >= requests else { return "\(sleeps) sleeps for \(requests) requests: a thread did not wait for its request" }
        return after.completedByInterrupt > before.completedByInterrupt ? nil : "no request was found done by the interrupt"
    }

    /// How many blocks the thread reading alone reads.
    static let aloneBlocks: UInt64 = 64

    /// `count` kernel threads read blocks `1...blocks` between them (thread `k` every
    /// `count`-th from `k + 1`) and compare each with what the checks left there.
    static func readInThreads(_ disk: VirtioBlockDevice, count: Int, blocks: UInt64) -> String? {
        final class Outcome { var failure: String?; var blocksRead: UInt64 = 0 }
        let outcome = Outcome()
        let readers = (0..<count).map { reader in
            {
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: BlockGeometry.blockSize, alignment: BlockGeometry.blockSize)
                defer { buffer.deallocate() }
                for block in stride(from: UInt64(reader + 1), through: blocks, by: count) {
                    if let failure = readAndCompare(disk, block, into: buffer, generation: rewrittenGeneration(block)) {
                        outcome.failure = outcome.failure ?? "thread \(reader): \(failure)"
                        return
                    }
                    outcome.blocksRead += 1
                }
            }
        }
        if let failure = SynchronisationChecks.runThreads(readers, idle: { idleForDisk(disk) }) { return failure }
        if let failure = outcome.failure { return failure }
        return outcome.blocksRead == blocks ? nil : "\(outcome.blocksRead) blocks read, not \(blocks)"
    }

    /// The idle context's part while the threads wait for the disk: halt until its interrupt
    /// (what the run loop does too); false when no request is in flight, so no wait will end.
    static func idleForDisk(_ disk: VirtioBlockDevice) -> Bool {
        guard disk.requestsInFlight > 0 else { return false }
        disk.idle()
        return true
    }
}
