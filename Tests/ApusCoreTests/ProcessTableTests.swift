import ApusCore
import Testing

/// The process table's rules (ABI.md §5): ids from one sequence shared by processes and
/// threads, parents, the process and thread limits, and the order of a process's end.
/// What the table keeps of a process is, here, just its id.
@Suite("Process table")
struct ProcessTableTests {
    typealias Table = ProcessTable<ProcessID>
    typealias Step = ProcessEndStep<ProcessID>

    /// A table whose first process has started.
    static func started() -> Table {
        var table = Table()
        table.startFirst(Table.firstProcessID)
        return table
    }

    static func fork(_ table: inout Table, from parent: ProcessID) throws -> ProcessID {
        try table.fork(from: parent) { id in id }
    }

    static func startThread(_ table: inout Table) throws -> ThreadID {
        try table.startThread { _ in }
    }

    @Test func processesAndThreadsTakeTheirIdsFromOneSequence() throws {
        var table = Self.started()
        expectEqual(try Self.startThread(&table), 2)
        expectEqual(try Self.fork(&table, from: 1), 3)
        expectEqual(try Self.startThread(&table), 4)
        expectEqual(try Self.fork(&table, from: 3), 5)
        expectEqual(table.entries.map(\.id), [1, 3, 5])
        expectEqual(table.threadCount, 5, "three first threads and two more")
        expectEqual(ProcessID(5).mainThread, ThreadID(5), "a process's first thread has its number")
    }

    @Test func theFirstProcessHasNoParentAndAChildNamesItsParent() throws {
        var table = Self.started()
        let child = try Self.fork(&table, from: 1)
        let grandchild = try Self.fork(&table, from: child)
        expectEqual(table.entry(1)?.parent, nil)
        expectEqual(table.entry(child)?.parent, 1)
        expectEqual(table.entry(grandchild)?.parent, child)
        expectEqual(table.firstProcess, 1)
    }

    @Test func aForkPastTheProcessLimitIsNoMemoryAndChangesNothing() throws {
        var table = Self.started()
        for _ in 1..<Table.processLimit { _ = try Self.fork(&table, from: 1) }
        expectEqual(table.entries.count, Table.processLimit)
        #expect(throws: KernelError.noMemory) { try Self.fork(&table, from: 1) }
        expectEqual(table.entries.count, Table.processLimit)
        expectEqual(table.threadCount, Table.processLimit)
        // A thread is still welcome: the thread limit is not reached.
        expectEqual(try Self.startThread(&table), ThreadID(Table.processLimit + 1), "the refused fork used up no id")
    }

    @Test func aThreadPastTheThreadLimitIsNoMemoryUntilAThreadIsFreed() throws {
        var table = Self.started()
        for _ in 1..<Table.threadLimit { _ = try Self.startThread(&table) }
        #expect(throws: KernelError.noMemory) { try Self.startThread(&table) }
        #expect(throws: KernelError.noMemory, "a child needs a thread too") { try Self.fork(&table, from: 1) }
        table.threadFreed()
        expectEqual(try Self.startThread(&table), ThreadID(Table.threadLimit + 1))
    }

    @Test func anEndedThreadHoldsItsPlaceUntilTheKernelFreesIt() throws {
        var table = Self.started()
        for _ in 1..<Table.threadLimit { _ = try Self.startThread(&table) }
        let steps = table.end(1, status: 0)
        #expect(!steps.isEmpty)
        expectEqual(table.threadCount, Table.threadLimit, "ending a process frees no kernel stack by itself")
    }

    @Test func aFailedStartUsesUpNoIdAndCountsNothing() throws {
        var table = Self.started()
        #expect(throws: KernelError.badAddress) { try table.startThread { (_) throws(KernelError) in throw .badAddress } }
        #expect(throws: KernelError.noMemory) { try table.fork(from: 1) { (_) throws(KernelError) -> ProcessID in throw .noMemory } }
        #expect(table.threadCount == 1 && table.entries.count == 1)
        expectEqual(try Self.startThread(&table), 2)
    }

    @Test func aProcessEndsItsOtherThreadsBeforeItsFilesWakeAnyoneThenLeaves() throws {
        var table = Self.started()
        let child = try Self.fork(&table, from: 1)
        expectEqual(table.end(child, status: 7), [
            .record(child, status: 7), .endOtherThreads(child), .closeFiles(child), .left(child, status: 7),
        ])
        expectEqual(table.entries.map(\.id), [1])
        expectEqual(table.runStatus, nil, "the run goes on")
    }

    @Test func aProcessEndsOnce() throws {
        var table = Self.started()
        let child = try Self.fork(&table, from: 1)
        _ = table.end(child, status: 7)
        #expect(table.end(child, status: -1).isEmpty)
        #expect(table.end(42, status: -1).isEmpty, "an id that was never a process")
    }

    @Test func theFirstProcessEndTakesEveryOtherWithItInTheOrderTheyStarted() throws {
        var table = Self.started()
        let a = try Self.fork(&table, from: 1)
        let b = try Self.fork(&table, from: a)
        let expected: [Step] = [
            .record(1, status: 3), .endOtherThreads(1), .closeFiles(1), .left(1, status: 3),
            .endRun(status: 3, survivors: [a, b]),
            .endWithRun(a), .record(a, status: -1), .endOtherThreads(a), .closeFiles(a), .left(a, status: -1),
            .endWithRun(b), .record(b, status: -1), .endOtherThreads(b), .closeFiles(b), .left(b, status: -1),
        ]
        expectEqual(table.end(1, status: 3), expected)
        #expect(table.entries.isEmpty)
        expectEqual(table.runStatus, 3)
    }

    @Test func theFirstProcessEndingAloneNamesNoSurvivors() {
        var table = Self.started()
        expectEqual(table.end(1, status: 0).last, .endRun(status: 0, survivors: []))
        expectEqual(table.runStatus, 0)
    }
}
