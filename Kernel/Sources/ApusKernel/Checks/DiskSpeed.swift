import ApusCore
import KernelSupport

/// What the disk costs, measured in the kernel with the time-stamp counter and written to
/// the log: the time of one 4 KiB read and write (the median of ``samples``), polled from
/// the boot's context and by a kernel thread that sleeps until the interrupt, the time of a
/// flush, and the rate of reading the whole scratch disk in order, one request at a time and
/// with several threads at once.
///
/// The writes rewrite odd blocks with what DiskChecks left there, so the host's check of
/// the image after the boot still holds.
enum DiskSpeed {
    static let samples = 32

    /// Measures and logs; nil unless a request failed.
    static func measure(_ disk: VirtioBlockDevice, _ buffers: DiskChecks.Buffers) -> String? {
        let block: UInt64 = 1
        let buffer = buffers.heap
        DiskChecks.fill(buffer, block: block, generation: DiskChecks.rewrittenGeneration(block))
        var failure: String?
        let polledRead = median { () throws(KernelError) in try disk.read(block: block, into: buffer) }
        let polledWrite = median { () throws(KernelError) in try disk.write(block: block, from: UnsafeRawBufferPointer(buffer)) }
        let flush = median { () throws(KernelError) in try disk.flush() }

        final class Results { var read: UInt64?; var write: UInt64?; var sequential: UInt64?; var parallel: UInt64? }
        let results = Results()
        let threadBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: BlockGeometry.blockSize, alignment: BlockGeometry.blockSize)
        defer { threadBuffer.deallocate() }
        DiskChecks.fill(threadBuffer, block: block, generation: DiskChecks.rewrittenGeneration(block))
        let measurer = {
            results.read = median { () throws(KernelError) in try disk.read(block: block + 1, into: threadBuffer) }
            DiskChecks.fill(threadBuffer, block: block, generation: DiskChecks.rewrittenGeneration(block))
            results.write = median { () throws(KernelError) in try disk.write(block: block, from: UnsafeRawBufferPointer(threadBuffer)) }
            results.sequential = time { () throws(KernelError) in
                for next in 1...disk.blockCount { try disk.read(block: next, into: threadBuffer) }
            }
        }
        failure = SynchronisationChecks.runThreads([measurer], idle: { DiskChecks.idleForDisk(disk) })
        let start = read_tsc()
        let readers = (0..<DiskChecks.readerCount).map { reader in
            {
                let own = UnsafeMutableRawBufferPointer.allocate(byteCount: BlockGeometry.blockSize, alignment: BlockGeometry.blockSize)
                defer { own.deallocate() }
                for next in stride(from: UInt64(reader + 1), through: disk.blockCount, by: DiskChecks.readerCount) {
                    do throws(KernelError) { try disk.read(block: next, into: own) } catch { return }
                }
            }
        }
        failure = failure ?? SynchronisationChecks.runThreads(readers, idle: { DiskChecks.idleForDisk(disk) })
        results.parallel = read_tsc() - start

        guard let polledRead, let polledWrite, let flush, let read = results.read, let write = results.write,
              let sequential = results.sequential, let parallel = results.parallel, failure == nil else {
            return failure ?? "a request failed while measuring"
        }
        let bytes = disk.blockCount * UInt64(BlockGeometry.blockSize)
        log("disk speed: 4 KiB read \(TimeStampCounter.describe(read)) (polled: \(TimeStampCounter.describe(polledRead))), "
            + "4 KiB write \(TimeStampCounter.describe(write)) (polled: \(TimeStampCounter.describe(polledWrite))), "
            + "flush \(TimeStampCounter.describe(flush)) (medians of \(samples))")
        log("disk speed: \(bytes >> 10) KiB read in order in \(TimeStampCounter.describe(sequential)) (\(rate(bytes, sequential))), "
            + "by \(DiskChecks.readerCount) threads at once in \(TimeStampCounter.describe(parallel)) (\(rate(bytes, parallel)))")
        return nil
    }

    /// The median time of ``samples`` calls of `body`; nil when one failed.
    static func median(_ body: () throws(KernelError) -> Void) -> UInt64? {
        var times: [UInt64] = []
        for _ in 0..<samples {
            guard let ticks = time(body) else { return nil }
            times.append(ticks)
        }
        times.sort()
        return times[samples / 2]
    }

    /// The ticks `body` took; nil when it failed.
    static func time(_ body: () throws(KernelError) -> Void) -> UInt64? {
        let start = read_tsc()
        do throws(KernelError) { try body() } catch { return nil }
        return read_tsc() - start
    }

    /// `bytes` over `ticks`, in MB/s when the counter's rate is known.
    static func rate(_ bytes: UInt64, _ ticks: UInt64) -> String {
        guard let perMicrosecond = TimeStampCounter.ticksPerMicrosecond, ticks > 0 else { return "\(bytes * 1000 / max(ticks, 1)) bytes per 1000 ticks" }
        let microseconds = max(ticks / perMicrosecond, 1)
        return "\(bytes / microseconds) MB/s"
    }
}
