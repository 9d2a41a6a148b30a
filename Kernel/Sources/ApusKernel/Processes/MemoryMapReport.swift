import KernelRuntime

/// `memory-map` on the command line (`apus run --memory-map`): every process's memory map,
/// right after each fork (the parent's and the child's) and when it ends, sent to the host
/// as status records (MemoryMapRecords.swift): through output ring 2 (output_ring.c) where
/// the host reads the rings, a copy into memory at tens of MB/s, else on the status port. The host draws the table and the picture;
/// the kernel only counts, and names files by their place in the root file system, so no
/// byte a program chose reaches the channel.
enum MemoryMapReport {
    /// Whether the command line asked for the maps.
    nonisolated(unsafe) static var enabled = false
    /// The run the maps belong to (repeated runs, from 0).
    nonisolated(unsafe) static var run = 0

    /// After `parent` forked `child`: both maps, the pages they now share counted as shared.
    static func fork(parent: ProcessControlBlock, child: ProcessControlBlock) {
        guard enabled else { return }
        send(parent, .fork)
        send(child, .fork)
    }

    /// `process` ended; its memory is not freed yet.
    static func end(_ process: ProcessControlBlock) {
        guard enabled else { return }
        send(process, .end)
    }

    /// Sends `record`: into ring 2 where the host reads the rings, else to the status port.
    /// Allocates nothing.
    private static func send(_ record: RunRecord) {
        guard Serial.usesOutputRings else { return StatusPort.write(record) }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { bytes in
            var index = 0
            record.forEachByte { byte in
                bytes[index] = byte
                index += 1
            }
            apus_output_ring_write(ring, bytes.baseAddress, UInt64(index))
        }
    }

    /// The output ring of the maps.
    static let ring: UInt32 = 2

    /// Sends `process`'s map record by record, as it walks its regions. Allocates nothing:
    /// a process's map goes out at its end, while it frees.
    private static func send(_ process: ProcessControlBlock, _ moment: MemoryMapRecords.Moment) {
        let limit = MemoryMapRecords.regionLimit
        send(MemoryMapRecords.header(moment: moment, run: run, process: process.id.value, parent: process.parentID.value))
        process.core.mm.forEachRegionSummary(limit: limit) { region in
            let (range, pages) = MemoryMapRecords.records(of: region)
            send(range)
            send(pages)
        }
        let omitted = process.core.mm.regionCount - min(process.core.mm.regionCount, limit)
        if omitted > 0 { send(MemoryMapRecords.omitted(omitted, run: run)) }
    }
}
