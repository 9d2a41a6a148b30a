import ApusCore
import Testing

/// Stopping and continuing a process (``JobState``), and how `wait4` reports it
/// (``ProcessTable/reap(by:_:group:change:)``).
@Suite("Signals: stop and continue")
struct JobStateTests {
    @Test func aStopIsCollectedOnceByAWaitThatAsksForIt() {
        var job = JobState()
        #expect(!job.isStopped)
        let stops = job.stop(by: .terminalStop)
        #expect(stops && job.isStopped && job.stoppedBy == .terminalStop)
        let stopsAgain = job.stop(by: .stop)
        #expect(!stopsAgain && job.stoppedBy == .terminalStop, "stopped already: nothing new to tell")
        let withoutUntraced = job.collect([.continued])
        expectEqual(withoutUntraced, nil, "a wait without WUNTRACED does not see a stop")
        let untraced = job.collect([.untraced])
        expectEqual(untraced, .stopped(by: .terminalStop))
        let again = job.collect([.untraced, .continued])
        expectEqual(again, nil, "collected once")
        #expect(job.isStopped, "collecting changes nothing but the report")
    }

    @Test func theLatestChangeReplacesOneNobodyCollected() {
        var job = JobState()
        let resumesARunningProcess = job.resume()
        #expect(!resumesARunningProcess && job.uncollected == nil, "a process that runs is not continued")
        let stops = job.stop(by: .stop), resumes = job.resume()
        #expect(stops && resumes && !job.isStopped)
        let stop = job.collect([.untraced])
        expectEqual(stop, nil, "the stop was replaced")
        let continued = job.collect([.continued])
        expectEqual(continued, .continued)
        _ = job.stop(by: .terminalInput)
        let latest = job.collect([.untraced, .continued])
        expectEqual(latest, .stopped(by: .terminalInput))
        _ = job.stop(by: .stop)
        let killed = job.resume(reported: false)
        #expect(killed && !job.isStopped && job.uncollected == nil, "a SIGKILL leaves only the end to report")
    }

    @Test func waitOptionsAreLinuxsBits() {
        #expect(WaitOptions.noHang.rawValue == 1 && WaitOptions.untraced.rawValue == 2 && WaitOptions.continued.rawValue == 8)
        #expect(WaitOptions.accepted.contains([.noHang, .untraced, .continued]))
        #expect(!WaitOptions.accepted.contains(WaitOptions(rawValue: 0x0100_0000)), "WNOWAIT is waitid's")
    }

    /// A table whose records are job states, as the kernel's control blocks hold them.
    final class Child {
        var job = JobState()
        let group: Int64
        init(group: Int64) { self.group = group }
    }

    @Test func wait4ReportsAStoppedOrContinuedChildWithoutReapingIt() throws {
        var table = ProcessTable<Child>()
        table.startFirst(Child(group: 1))
        let first = try table.fork(from: 1) { _ in Child(group: 2) }
        let second = try table.fork(from: 1) { _ in Child(group: 3) }
        let stopped = table.entry(second)!.process
        func wait(_ selector: ChildSelector, _ options: WaitOptions) -> ChildWaitResult {
            table.reap(by: 1, selector, group: { $0.group }, change: { $0.job.collect(options) })
        }
        expectEqual(wait(.any, [.untraced]), .childrenRunning)
        _ = stopped.job.stop(by: .stop)
        expectEqual(wait(.any, [.continued]), .childrenRunning)
        expectEqual(wait(.process(first), [.untraced]), .childrenRunning)
        expectEqual(wait(.group(3), [.untraced]), .changed(second, .stopped(by: .stop)))
        #expect(table.entry(second) != nil, "the child stays")
        expectEqual(wait(.any, [.untraced]), .childrenRunning, "reported once")
        _ = stopped.job.resume()
        expectEqual(wait(.any, [.untraced, .continued]), .changed(second, .continued))
        _ = table.end(first, status: 0)
        table.keep(ZombieProcess(id: first, parent: 1, group: 2, status: 0))
        _ = stopped.job.stop(by: .terminalStop)
        expectEqual(wait(.any, [.untraced]), .reaped(ZombieProcess(id: first, parent: 1, group: 2, status: 0)), "a zombie comes first")
        expectEqual(wait(.any, [.untraced]), .changed(second, .stopped(by: .terminalStop)))
    }
}
