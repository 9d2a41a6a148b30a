/// Memory maps on the kernel's status channel: how `apus run --memory-map` learns every
/// region of every process at each fork and at each end.
///
/// The kernel sends a map as ``RunRecord``s, like everything the host must believe: no
/// byte of them is text a program chose. A file is named by its inode number on the disk,
/// which the host can turn into a path by reading the image after the run. A map is a `memoryMap` record
/// (the moment, the process and its parent; `run` the run, from 0) and then two records per
/// region (`region`, then `regionPages`), in address order; at most ``regionLimit`` regions,
/// and a `regionsOmitted` record saying how many more there were.
public enum MemoryMapRecords {
    /// The regions one map reports at most: a program with a hundred thousand regions must
    /// not flood the channel.
    public static let regionLimit = 4096

    /// When the map was taken.
    public enum Moment: UInt8, Sendable, CustomStringConvertible {
        /// Right after a fork, for the parent and for the child.
        case fork = 1
        /// When the process ended (its memory not yet freed).
        case end = 2

        public var description: String {
            switch self {
            case .fork: "after a fork"
            case .end: "at its end"
            }
        }
    }

    /// One process's map at one moment.
    public struct Snapshot: Equatable, Sendable {
        public var moment: Moment
        /// The run (from 0; repeated runs) it belongs to.
        public var run: Int
        public var process: Int
        /// 0 for the run's first process.
        public var parent: Int
        public var regions: [RegionSummary]
        /// Regions beyond ``MemoryMapRecords/regionLimit`` that were left out.
        public var omitted: Int

        public init(moment: Moment, run: Int, process: Int, parent: Int, regions: [RegionSummary], omitted: Int = 0) {
            self.moment = moment
            self.run = run
            self.process = process
            self.parent = parent
            self.regions = regions
            self.omitted = omitted
        }
    }

    /// The records of `snapshot`, in the order the host reads them.
    public static func records(of snapshot: Snapshot) -> [RunRecord] {
        var records = [header(moment: snapshot.moment, run: snapshot.run, process: snapshot.process, parent: snapshot.parent)]
        for region in snapshot.regions {
            let (range, pages) = Self.records(of: region)
            records += [range, pages]
        }
        if snapshot.omitted > 0 { records.append(omitted(snapshot.omitted, run: snapshot.run)) }
        return records
    }

    /// The record that starts a map: the moment, the run, the process and its parent.
    public static func header(moment: Moment, run: Int, process: Int, parent: Int) -> RunRecord {
        RunRecord(kind: .memoryMap, detail: moment.rawValue, run: UInt32(truncatingIfNeeded: run), first: Int64(process), second: Int64(parent))
    }

    /// The two records of one region: its range, permission and file, then its pages.
    public static func records(of region: RegionSummary) -> (range: RunRecord, pages: RunRecord) {
        var file: UInt32 = 0, offsetPages: UInt32 = 0
        if case .file(let inode, let offset) = region.source {
            file = inode ?? UInt32.max
            offsetPages = UInt32(truncatingIfNeeded: offset >> PageGeometry.pageShift)
        }
        return (RunRecord(kind: .region, detail: UInt8(truncatingIfNeeded: region.permission.rawValue), run: file,
                          first: Int64(bitPattern: region.range.start.raw), second: Int64(bitPattern: region.range.end.raw)),
                RunRecord(kind: .regionPages, run: offsetPages, first: Int64(region.residentPages), second: Int64(region.sharedPages)))
    }

    /// The record that ends a map that left `count` regions out.
    public static func omitted(_ count: Int, run: Int) -> RunRecord {
        RunRecord(kind: .regionsOmitted, run: UInt32(truncatingIfNeeded: run), first: Int64(count))
    }

    /// The maps in `records` (other kinds of records are passed over), in order. A record
    /// out of place (a region with no map before it, pages with no region) is dropped.
    public static func snapshots(in records: [RunRecord]) -> [Snapshot] {
        var snapshots: [Snapshot] = []
        var pending: RunRecord?
        for record in records {
            switch record.kind {
            case .memoryMap:
                guard let moment = Moment(rawValue: record.detail) else { continue }
                snapshots.append(Snapshot(moment: moment, run: Int(record.run), process: Int(record.first), parent: Int(record.second), regions: []))
                pending = nil
            case .region:
                pending = snapshots.isEmpty ? nil : record
            case .regionPages:
                guard let region = pending, !snapshots.isEmpty else { continue }
                pending = nil
                let start = VirtualAddress(UInt64(bitPattern: region.first)), end = VirtualAddress(UInt64(bitPattern: region.second))
                guard start.raw <= end.raw else { continue }
                let source: RegionSummary.Source = switch region.run {
                case 0: .anonymous
                case UInt32.max: .file(inode: nil, offset: UInt64(record.run) << PageGeometry.pageShift)
                default: .file(inode: region.run, offset: UInt64(record.run) << PageGeometry.pageShift)
                }
                snapshots[snapshots.count - 1].regions.append(RegionSummary(
                    range: VirtualRange(start: start, end: end),
                    permission: Permission(rawValue: UInt64(region.detail)).intersection(Permission.protectionBits),
                    source: source, residentPages: Int(record.first), sharedPages: Int(record.second)))
            case .regionsOmitted:
                guard !snapshots.isEmpty else { continue }
                snapshots[snapshots.count - 1].omitted = Int(record.first)
            default:
                continue
            }
        }
        return snapshots
    }
}
