import Foundation

/// The table `apus bench` prints: Markdown, so that it can go into a README as it is.
///
/// Times are ticks turned into seconds with the counter's rate (``BenchOutput/ticksPerSecond``)
/// and shown with three significant digits in ns, µs, ms or s. With Linux beside Apus, each
/// row gets the ratio of the two medians (below 1: Apus is faster), and the issue's targets
/// follow the table, each with its ratio and whether it is met.
public enum BenchTable {
    /// A duration in a unit that keeps it between 1 and 1000, three significant digits.
    public static func duration(ticks: Double, ticksPerSecond: Double) -> String {
        let seconds = ticks / ticksPerSecond
        let (value, unit): (Double, String) = switch seconds {
        case ..<1e-6: (seconds * 1e9, "ns")
        case ..<1e-3: (seconds * 1e6, "µs")
        case ..<1: (seconds * 1e3, "ms")
        default: (seconds, "s")
        }
        return "\(significant(value)) \(unit)"
    }

    /// `value` with three significant digits (no more decimals than that needs).
    static func significant(_ value: Double) -> String {
        let decimals = value >= 100 ? 0 : value >= 10 ? 1 : 2
        return String(format: "%.\(decimals)f", value)
    }

    static func spread(_ row: BenchSummary.Row, _ rate: Double) -> String {
        "\(duration(ticks: row.median, ticksPerSecond: rate)) (\(duration(ticks: Double(row.minimum), ticksPerSecond: rate))–\(duration(ticks: Double(row.maximum), ticksPerSecond: rate)))"
    }

    /// Apus alone: a row per operation, its median and in brackets its fastest and slowest.
    public static func render(apus: BenchSummary, ticksPerSecond rate: Double) -> String {
        var lines = ["| operation | median (min–max) |", "|---|---|"]
        for row in apus.rows { lines.append("| \(row.label) | \(spread(row, rate)) |") }
        return lines.joined(separator: "\n")
    }

    /// Apus and Linux side by side, with the ratio of their medians.
    public static func render(apus: BenchSummary, linux: BenchSummary, ticksPerSecond rate: Double) -> String {
        var lines = ["| operation | Apus median (min–max) | Linux median (min–max) | Apus/Linux |", "|---|---|---|---|"]
        var names = apus.rows.map(\.name)
        names += linux.rows.map(\.name).filter { !names.contains($0) }
        for name in names {
            let mine = apus[name], theirs = linux[name]
            let label = (mine ?? theirs)!.label
            let ratio = mine.flatMap { mine in theirs.map { ratioText(mine.median / $0.median) } } ?? "–"
            lines.append("| \(label) | \(mine.map { spread($0, rate) } ?? "–") | \(theirs.map { spread($0, rate) } ?? "–") | \(ratio) |")
        }
        return lines.joined(separator: "\n")
    }

    static func ratioText(_ ratio: Double) -> String {
        ratio.isFinite ? String(format: ratio >= 10 ? "%.0f" : ratio >= 1 ? "%.1f" : "%.2f", ratio) : "–"
    }
}

/// A speed target of issue 13: a row's Apus median at most `limit` times a reference (the
/// same row on Linux, or another Apus row).
public struct BenchTarget: Sendable {
    public enum Reference: Sendable {
        case linux
        /// Another row of Apus's own.
        case apusRow(String)
    }

    public var row: String
    public var reference: Reference
    public var limit: Double
    public var description: String

    /// The issue's targets, in its order.
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
    ]

    /// The ratio this target compares with its limit, or `nil` when a row is missing (no
    /// Linux run, or a row the program did not report).
    public func ratio(apus: BenchSummary, linux: BenchSummary?) -> Double? {
        guard let mine = apus[row] else { return nil }
        let reference: BenchSummary.Row? = switch self.reference {
        case .linux: linux?[row]
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
