import ApusCore
import ApusTool
import Foundation
import Testing

/// Every budget of a run at its worst at once, then a process gives a little back: the
/// kernel heap holds it all (ApusCore's HeapBudget), and every frame and kernel
/// stack comes back. With the suite's pager (CI runs it with both).
@Suite("No program can exhaust the kernel heap")
struct KernelHeapBudgetTests {
    @Test func everyBudgetAtItsWorstAtOnceThenAFewUnmapsStopNothing() throws {
        let result = try expectRun("heaphog", stdout: """
            the first process: 510 pipes, then -24; table full: yes
            63 children, each with a copy of the full table; 64 threads more, then -12
            pipes made in the run: 1024 (the budget is 1024)
            every table full: yes; every process refused its last mmap with NoMemory: yes
            the first process unmapped 40 of its regions more

            """)
        #expect(!result.log.contains("PANIC"), "log:\n\(result.log)")
        // What the run held at most stays within what the budget allows beside the boot.
        let numbers = { (line: String) in line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) } }
        let budget = result.logLines.first { $0.hasPrefix("heap: a run's budgets need at most ") }.map(numbers)
        let peak = result.logLines.first { $0.hasPrefix("heap: at most ") }.map(numbers)
        guard let budget, budget.count == 3, let peak, peak.count == 2 else {
            Issue.record("the kernel log names no heap budget or peak:\n\(result.log)")
            return
        }
        let (needed, left, heap) = (budget[0], budget[1], budget[2])
        #expect(needed <= left, "the check where the kernel starts")
        #expect(peak[0] <= heap - left + needed, "the run held \(peak[0]) KiB; the boot held \(heap - left) and the budget allows \(needed)")
    }
}
