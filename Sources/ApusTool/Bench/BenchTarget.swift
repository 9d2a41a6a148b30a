import Foundation

/// A speed target for the kernel: a row's Apus median at most `limit` times a reference (the
/// same row on Linux, or another Apus row). `apus bench` reports each target whose rows it
/// measured, met or not.
public struct BenchTarget: Sendable {
    public enum Reference: Sendable {
        /// The same row on Linux.
        case linux
        /// Another row of Linux's.
        case linuxRow(String)
        /// Another row of Apus's own.
        case apusRow(String)
    }

    public var row: String
    public var reference: Reference
    public var limit: Double
    public var description: String

    /// Every target, in the order `apus bench` reports them.
    public static let all: [BenchTarget] = [
        BenchTarget(row: "populate-per-page", reference: .apusRow("zero-4k"), limit: 1.2, description: "eager populate per page <= 1.2 x zeroing 4 KiB in user space"),
        BenchTarget(row: "munmap-per-page", reference: .linux, limit: 0.3, description: "munmap per page <= 0.3 x Linux"),
        BenchTarget(row: "mmap-munmap-page", reference: .linux, limit: 0.3, description: "one-page mmap+munmap <= 0.3 x Linux"),
        BenchTarget(row: "null-syscall", reference: .linux, limit: 0.5, description: "null system call <= 0.5 x Linux"),
        BenchTarget(row: "read-64", reference: .linux, limit: 0.5, description: "64-byte read <= 0.5 x Linux"),
        BenchTarget(row: "mmap-among-100000", reference: .apusRow("mmap-among-10"), limit: 2, description: "mmap+munmap among 100,000 mappings <= 2 x among 10"),
        BenchTarget(row: "first-touch-per-page", reference: .linux, limit: 0.3, description: "first-touch fault <= 0.3 x Linux"),
        BenchTarget(row: "fork", reference: .linux, limit: 0.5, description: "fork <= 0.5 x Linux"),
        BenchTarget(row: "cow-per-page", reference: .linux, limit: 0.5, description: "copy-on-write fault <= 0.5 x Linux"),
    ] + fileTargets

    /// The file rows: none slower than Linux's on ext4, with the journal and without.
    static let fileTargets: [BenchTarget] = [
        ("file-create-write-fsync-unlink", "create + 4 KiB write + fsync + unlink"), ("file-read-cold", "cold sequential read"),
        ("file-read-warm", "warm sequential read"), ("file-readdir", "readdir of a large directory"), ("file-stat", "stat"),
        ("file-fsync", "fsync"), ("file-create-unlink", "create+unlink"),
    ].flatMap { row, what in
        [BenchTarget(row: row, reference: .linux, limit: 1, description: "\(what) <= 1 x Linux"),
         BenchTarget(row: row + BenchOutput.Setting.withoutJournal.nameSuffix, reference: .linuxRow(row), limit: 1,
                     description: "\(what), no journal, <= 1 x Linux")]
    }

    /// The ratio this target compares with its limit, or `nil` when a row is missing (no
    /// Linux run, or a row the program did not report).
    public func ratio(apus: BenchSummary, linux: BenchSummary?) -> Double? {
        guard let mine = apus[row] else { return nil }
        let reference: BenchSummary.Row? = switch self.reference {
        case .linux: linux?[row]
        case .linuxRow(let name): linux?[name]
        case .apusRow(let name): apus[name]
        }
        guard let reference, reference.median > 0 else { return nil }
        return mine.median / reference.median
    }

    /// One line per target whose rows are there: the ratio, and met or not.
    public static func report(apus: BenchSummary, linux: BenchSummary?) -> [String] {
        all.compactMap { target in
            target.ratio(apus: apus, linux: linux).map { ratio in
                "\(ratio <= target.limit ? "met    " : "not met") \(target.description): \(BenchTable.ratioText(ratio))"
            }
        }
    }
}
