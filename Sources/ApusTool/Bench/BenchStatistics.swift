/// The rows of several runs of the benchmark, put together.
///
/// Each run reports a row's median, fastest and slowest sample; over runs, a row's median is
/// the median of the runs' medians (a run that was disturbed moves it little), its minimum
/// the least of their minimums and its maximum the greatest of their maximums. The boot row
/// comes from each run's first line: one sample per run.
public struct BenchSummary: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var name: String
        public var label: String
        /// Ticks.
        public var median: Double
        public var minimum: UInt64
        public var maximum: UInt64
        /// How many runs reported it.
        public var runs: Int
    }

    /// The boot row's name.
    public static let bootRowName = "boot"
    public static let bootRowLabel = "boot to the program's first line"

    /// Rows in the order the runs first reported them, the boot row first.
    public var rows: [Row]

    public init(rows: [Row]) { self.rows = rows }

    /// Puts the runs together; `bootRuns` are the runs whose first line counts as the boot
    /// (an Apus run with the eager pager boots too, but its boot is the same).
    public init(runs: [BenchOutput], bootRuns: [BenchOutput]? = nil) {
        var rows: [Row] = []
        let boots = (bootRuns ?? runs).compactMap { $0.start?.ticks }
        if !boots.isEmpty {
            rows.append(Row(name: Self.bootRowName, label: Self.bootRowLabel, median: Self.median(boots.map { Double($0) }),
                            minimum: boots.min()!, maximum: boots.max()!, runs: boots.count))
        }
        var order: [String] = []
        var byName: [String: [BenchOutput.Row]] = [:]
        for run in runs {
            for row in run.rows {
                if byName[row.name] == nil { order.append(row.name) }
                byName[row.name, default: []].append(row)
            }
        }
        for name in order {
            let reported = byName[name]!
            rows.append(Row(name: name, label: reported[0].label, median: Self.median(reported.map { Double($0.median) }),
                            minimum: reported.map(\.minimum).min()!, maximum: reported.map(\.maximum).max()!, runs: reported.count))
        }
        self.rows = rows
    }

    public subscript(name: String) -> Row? { rows.first { $0.name == name } }

    /// The median of `values` (the mean of the middle two for an even count); 0 for none.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
