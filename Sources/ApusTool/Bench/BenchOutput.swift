import Foundation

/// What one run of the `bench` program (`Userland/programs/bench.c`) printed, read back.
///
/// The program prints a line per row, every number in time-stamp-counter ticks:
///
///     bench start TICKS                               the counter at its first line
///     bench row NAME SAMPLES MEDIAN MIN MAX LABEL     one row (LABEL: words for people)
///     bench end TICKS                                 the counter at its last line
///     bench failed WHAT: RESULT                       a call it relies on failed
///
/// Other lines (a Linux kernel's messages on the same console) are ignored, and a line may
/// end in a carriage return (a serial console's). Each line comes with the host's clock when
/// it arrived (nanoseconds, any origin): the first and last lines calibrate the counter.
public struct BenchOutput: Sendable, Equatable {
    /// One row as the program measured it.
    public struct Row: Sendable, Equatable {
        public var name: String
        public var label: String
        public var samples: Int
        public var median: UInt64
        public var minimum: UInt64
        public var maximum: UInt64
    }

    /// A counter reading and the host's clock when its line arrived.
    public struct Mark: Sendable, Equatable {
        public var ticks: UInt64
        public var hostNanoseconds: UInt64
    }

    public var start: Mark?
    public var end: Mark?
    public var rows: [Row] = []
    /// The program's own complaint (`bench failed …`), when it gave up.
    public var failure: String?

    public init() {}

    /// The prefix of every line the program prints.
    static let prefix = "bench "

    /// Reads `lines`, each with the host's clock when it arrived.
    public init(lines: [(text: String, hostNanoseconds: UInt64)]) {
        for (raw, arrival) in lines {
            var text = Substring(raw)
            while text.last == "\r" { text = text.dropLast() }
            // A kernel message may share the line's start on a console: find the prefix.
            guard let found = text.range(of: Self.prefix) else { continue }
            let words = text[found.upperBound...].split(separator: " ", omittingEmptySubsequences: true)
            guard let keyword = words.first else { continue }
            switch keyword {
            case "start", "end":
                guard words.count == 2, let ticks = UInt64(words[1]) else { continue }
                let mark = Mark(ticks: ticks, hostNanoseconds: arrival)
                if keyword == "start" { start = mark } else { end = mark }
            case "row":
                guard words.count >= 6, let samples = Int(words[2]), let median = UInt64(words[3]),
                      let minimum = UInt64(words[4]), let maximum = UInt64(words[5]) else { continue }
                let label = words.count > 6 ? words[6...].joined(separator: " ") : String(words[1])
                rows.append(Row(name: String(words[1]), label: label, samples: samples, median: median, minimum: minimum, maximum: maximum))
            case "failed":
                failure = words.dropFirst().joined(separator: " ")
            default:
                continue
            }
        }
    }

    /// The same output with every row's name and label marked as measured in another setting
    /// (Apus without its journal: `file-fsync` becomes `file-fsync-nojournal`, its label
    /// gains ` (no journal)`), so that the two settings' rows stand apart in one table.
    public func marked(_ setting: Setting) -> BenchOutput {
        var marked = self
        marked.rows = rows.map { row in
            var row = row
            row.name += setting.nameSuffix
            row.label += setting.labelSuffix
            return row
        }
        return marked
    }

    /// A setting whose rows are kept apart from the same rows measured otherwise.
    public struct Setting: Sendable {
        public var nameSuffix: String
        public var labelSuffix: String

        /// Apus on a disk made without a journal.
        public static let withoutJournal = Setting(nameSuffix: "-nojournal", labelSuffix: " (no journal)")

        /// The name of the row `name` stands beside (its name without the suffix), when it
        /// is a row of this setting.
        public func unmarked(_ name: String) -> String? {
            name.hasSuffix(nameSuffix) ? String(name.dropLast(nameSuffix.count)) : nil
        }
    }

    /// True when the program got from its first line to its last.
    public var isComplete: Bool { start != nil && end != nil && failure == nil }

    /// The counter's rate, in ticks per second, from the first and last lines: the ticks
    /// between them over the host's time between their arrivals; `nil` when a line is missing.
    /// A line's arrival may lag by a few milliseconds, so only a long run
    /// (``isLongEnoughToCalibrate``) gives a rate good to about 1 %.
    public var ticksPerSecond: Double? {
        guard let start, let end, end.ticks > start.ticks, end.hostNanoseconds > start.hostNanoseconds else { return nil }
        return Double(end.ticks - start.ticks) / (Double(end.hostNanoseconds - start.hostNanoseconds) / 1e9)
    }

    /// True when the first and last lines are at least ``minimumCalibrationSpan`` apart.
    public var isLongEnoughToCalibrate: Bool {
        guard let start, let end, end.hostNanoseconds > start.hostNanoseconds else { return false }
        return end.hostNanoseconds - start.hostNanoseconds >= Self.minimumCalibrationSpan
    }

    /// The span between first and last lines that calibrates the counter to about 1 %.
    public static let minimumCalibrationSpan: UInt64 = 1_000_000_000
}
