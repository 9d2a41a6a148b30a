import ApusCore

/// `apus run --memory-map`: the memory maps the kernel reported, as text tables, one per
/// process and moment:
///
/// ```
/// process 2 (parent 1), after a fork: 5 regions, 9 resident pages, 7 shared
///   range                                   size  perm  backing                resident  shared
///   0x0000000000401000-0x0000000000403000   8 KiB  r-x  file memmap +0x0             2       2
///   0x0000000047470000-0x0000000047480000  64 KiB  rw-  stack                        1       1
/// ```
///
/// Names of files are their paths on the run's disk, which the tool reads after the run (the
/// kernel sends their inode numbers), escaped like every user-chosen name, so a file name
/// cannot break the table.
public enum MemoryMapTable {
    /// What a region holds, in words: `stack`, `anonymous`, or `file NAME +OFFSET`.
    public static func backing(of region: RegionSummary, fileNames: [UInt32: [UInt8]]) -> String {
        switch region.source {
        case .anonymous:
            return region.range == UserStack.range ? "stack" : "anonymous"
        case .file(let inode, let offset):
            let name = inode.flatMap { fileNames[$0] }.map(LogText.escaped) ?? "?"
            return "file \(name) +0x\(String(offset, radix: 16))"
        }
    }

    /// `r-x`-style permission letters.
    public static func permission(_ permission: Permission) -> String {
        (permission.contains(.read) ? "r" : "-") + (permission.contains(.write) ? "w" : "-") + (permission.contains(.executable) ? "x" : "-")
    }

    /// A byte count in the largest unit that keeps it whole (`64 KiB`, `1 GiB`, `12 KiB`).
    public static func size(_ bytes: UInt64) -> String {
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift) \(unit)"
        }
        return "\(bytes) B"
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    static func padded(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    /// The heading of `snapshot`'s table.
    public static func heading(_ snapshot: MemoryMapRecords.Snapshot, runs: Int = 1) -> String {
        let resident = snapshot.regions.reduce(0) { $0 + $1.residentPages }
        let shared = snapshot.regions.reduce(0) { $0 + $1.sharedPages }
        let run = runs > 1 ? "run \(snapshot.run + 1): " : ""
        return "\(run)process \(snapshot.process) (parent \(snapshot.parent)), \(snapshot.moment): \(snapshot.regions.count + snapshot.omitted) regions, \(resident) resident pages, \(shared) shared"
    }

    /// The table of `snapshot`: a heading, a header line and one line per region.
    public static func render(_ snapshot: MemoryMapRecords.Snapshot, fileNames: [UInt32: [UInt8]], runs: Int = 1) -> String {
        let rows = snapshot.regions.map { region in
            [hex(region.range.start.raw) + "-" + hex(region.range.end.raw), size(region.range.length), permission(region.permission),
             backing(of: region, fileNames: fileNames), String(region.residentPages), String(region.sharedPages)]
        }
        let header = ["range", "size", "perm", "backing", "resident", "shared"]
        let rightAligned = [false, true, false, false, true, true]
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            "  " + cells.indices.map { padded(cells[$0], widths[$0], right: rightAligned[$0]) }.joined(separator: "  ")
        }
        var lines = [heading(snapshot, runs: runs), line(header)] + rows.map(line)
        if snapshot.omitted > 0 { lines.append("  … and \(snapshot.omitted) more regions (a map reports at most \(MemoryMapRecords.regionLimit))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every table of a run, in the order the kernel took them.
    public static func render(_ snapshots: [MemoryMapRecords.Snapshot], fileNames: [UInt32: [UInt8]], runs: Int = 1) -> String {
        snapshots.map { render($0, fileNames: fileNames, runs: runs) }.joined(separator: "\n")
    }
}
