import ApusCore

/// `memory-map` on the command line (`apus run --memory-map`): every process's memory map,
/// right after each fork (the parent's and the child's) and when it ends, sent to the host
/// as status records (MemoryMapRecords.swift). The host draws the table and the picture;
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

    private static func send(_ process: ProcessControlBlock, _ moment: MemoryMapRecords.Moment) {
        let regions = process.core.mm.memoryMap(limit: MemoryMapRecords.regionLimit)
        let snapshot = MemoryMapRecords.Snapshot(moment: moment, run: run, process: process.id.value, parent: process.parentID.value,
                                                 regions: regions, omitted: process.core.mm.regionCount - regions.count)
        for record in MemoryMapRecords.records(of: snapshot) { StatusPort.write(record.bytes) }
    }
}
