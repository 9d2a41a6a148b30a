import Foundation

/// The table `apus bench` prints: Markdown, so that it can go into a README as it is.
///
/// Times are ticks turned into seconds with the counter's rate (``BenchOutput/ticksPerSecond``)
/// and shown with three significant digits in ns, µs, ms or s. With Linux beside Apus, each
/// row gets the ratio of the two medians (below 1: Apus is faster), and the speed targets
/// (``BenchTarget``) follow the table, each with its ratio and whether it is met.
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

    /// Apus and Linux side by side, with the ratio of their medians. A row Apus measured in
    /// another setting (without its journal: ``BenchOutput/Setting``) stands beside Linux's
    /// row of the same operation.
    public static func render(apus: BenchSummary, linux: BenchSummary, ticksPerSecond rate: Double) -> String {
        var lines = ["| operation | Apus median (min–max) | Linux median (min–max) | Apus/Linux |", "|---|---|---|---|"]
        var names = apus.rows.map(\.name)
        names += linux.rows.map(\.name).filter { !names.contains($0) }
        for name in names {
            let mine = apus[name], theirs = linux[name] ?? BenchOutput.Setting.withoutJournal.unmarked(name).flatMap { linux[$0] }
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
