import ApusCore

/// What the runs of one boot came to, folded record by record as the kernel reports them.
///
/// `apus run --repeat N` runs a program up to a million times in one boot. The tally keeps
/// what the command needs in memory that does not grow with N: how many runs ended, the first
/// that failed and the first that could not start, the last status, and the endings of the
/// first ``keptRuns`` runs (for a person, a test, the page cache's counts); every run's ending
/// is also handed on as it comes (``add(_:)``), so that each can be reported when it ends.
public struct RunTally: Sendable {
    /// The runs whose endings (and page cache counts) are kept one by one.
    public static let keptRuns = 1_000

    /// How many runs the kernel reported ended (or could not start).
    public private(set) var count = 0
    /// The endings of the first ``keptRuns`` runs, in order.
    public private(set) var endings: [ProgramRun.RunEnding] = []
    /// The first run that exited with a status other than 0: its index (from 0), its status.
    public private(set) var firstFailure: (run: Int, status: Int64)?
    /// The first run that could not start: its index and why.
    public private(set) var firstStartFailure: (run: Int, reason: RunRecord.StartFailure)?
    /// The status of the last run that exited.
    public private(set) var lastExitStatus: Int64?
    /// What the page cache did in each of the first ``keptRuns`` runs: pages read from the
    /// disk, lookups served from memory.
    public private(set) var pageCache: [(reads: Int, hits: Int)] = []

    public init() {}

    /// The tally of `records`, in order.
    public init(_ records: [RunRecord]) {
        records.forEach { add($0) }
    }

    /// Folds in one status record; returns the run's ending when the record ended a run.
    @discardableResult
    public mutating func add(_ record: RunRecord) -> ProgramRun.RunEnding? {
        let ending: ProgramRun.RunEnding
        switch record.kind {
        case .exited:
            ending = .exited(record.first)
            lastExitStatus = record.first
            if record.first != 0, firstFailure == nil { firstFailure = (count, record.first) }
        case .couldNotStart:
            let reason = RunRecord.StartFailure(rawValue: record.detail) ?? .unknown
            ending = .couldNotStart(reason)
            if firstStartFailure == nil { firstStartFailure = (count, reason) }
        case .pageCache:
            if pageCache.count < Self.keptRuns { pageCache.append((Int(record.first), Int(record.second))) }
            return nil
        default:
            return nil
        }
        if endings.count < Self.keptRuns { endings.append(ending) }
        count += 1
        return ending
    }
}
