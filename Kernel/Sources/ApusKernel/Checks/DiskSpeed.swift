import X86_64Support

/// What the disk costs, measured in the kernel with the time-stamp counter and written to
/// the log:
/// * one 4 KiB read, one 4 KiB write and one flush (``samples`` of each, the median and the
///   slowest), by a kernel thread that sleeps until the interrupt;
/// * the whole scratch disk read in order, one request at a time, polled from the boot's
///   context and by a sleeping thread (the median and slowest request, and the rate);
/// * the whole disk read by several threads at once (the rate).
///
/// The writes rewrite block 1 with what DiskChecks left there, so the host's check of the
/// image after the boot still holds.
enum DiskSpeed {
    static let samples = 32

    /// Times of one operation, in counter ticks.
    struct Times {
        var ticks: [UInt64] = []

        var total: UInt64 { ticks.reduce(0, +) }

        /// "median M, slowest S" in microseconds (or ticks).
        var summary: String {
            let sorted = ticks.sorted()
            guard let slowest = sorted.last else { return "no samples" }
            return "median \(TimeStampCounter.describe(sorted[sorted.count / 2])), slowest \(TimeStampCounter.describe(slowest))"
        }

        /// Times `body` once; false when it failed.
        mutating func time(_ body: () throws(KernelError) -> Void) -> Bool {
            let start = read_tsc()
            do throws(KernelError) { try body() } catch { return false }
            ticks.append(read_tsc() - start)
            return true
        }
    }

    /// Measures and logs; nil unless a request failed.
    static func measure(_ disk: VirtioBlockDevice, _ buffers: DiskChecks.Buffers) -> String? {
        let block: UInt64 = 1
        let bytes = disk.blockCount * UInt64(BlockGeometry.blockSize)
        var polled = Times()
        for next in 1...disk.blockCount {
            guard polled.time({ () throws(KernelError) in try disk.read(block: next, into: buffers.heap) }) else { return "a polled read failed" }
        }

        final class Results { var read = Times(), write = Times(), flush = Times(), inOrder = Times(), failed = false }
        let results = Results()
        let measurer = {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: BlockGeometry.blockSize, alignment: BlockGeometry.blockSize)
            defer { buffer.deallocate() }
            DiskChecks.fill(buffer, block: block, generation: DiskChecks.rewrittenGeneration(block))
            for _ in 0..<samples where !results.write.time({ () throws(KernelError) in try disk.write(block: block, from: UnsafeRawBufferPointer(buffer)) }) {
                results.failed = true
            }
            for _ in 0..<samples where !results.flush.time({ () throws(KernelError) in try disk.flush() }) { results.failed = true }
            for _ in 0..<samples where !results.read.time({ () throws(KernelError) in try disk.read(block: block + 1, into: buffer) }) {
                results.failed = true
            }
            for next in 1...disk.blockCount {
                guard results.inOrder.time({ () throws(KernelError) in try disk.read(block: next, into: buffer) }) else { results.failed = true; return }
            }
        }
        if let failure = SynchronisationChecks.runThreads([measurer], idle: { DiskChecks.idleForDisk(disk) }) { return failure }
        let start = read_tsc()
        if let failure = DiskChecks.readInThreads(disk, count: DiskChecks.readerCount, blocks: disk.blockCount) { return failure }
        let together = read_tsc() - start
        guard !results.failed else { return "a request failed while measuring" }

        log("disk speed: 4 KiB read \(results.read.summary); 4 KiB write \(results.write.summary); flush \(results.flush.summary) (\(samples) each, by a sleeping thread)")
        let line = "disk speed: \(bytes >> 10) KiB read in order, polled: \(rate(bytes, polled.total)), \(polled.summary) a block; "
            + "by a sleeping thread: \(rate(bytes, results.inOrder.total)), \(results.inOrder.summary) a block; "
            + "by \(DiskChecks.readerCount) threads at once: \(rate(bytes, together))"
        log("\(line)")
        return nil
    }

    /// `bytes` over `ticks`, in MB/s when the counter's rate is known.
    static func rate(_ bytes: UInt64, _ ticks: UInt64) -> String {
        guard let perMicrosecond = TimeStampCounter.ticksPerMicrosecond else { return "\(bytes * 1000 / max(ticks, 1)) bytes per 1000 ticks" }
        return "\(bytes / max(ticks / perMicrosecond, 1)) MB/s"
    }
}
