import ApusTool
import Foundation
import Testing

/// The kernel is intact after a run: it did not panic; when the program started, it gave
/// back every frame and every kernel stack the run used (the kernel's own counts, from its
/// status records); and the file system checker finds nothing wrong with the disk the run
/// used (when the run had it checked, as every system test does).
func expectNothingLeakedAndNoPanic(_ result: ProgramRun.Result, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!result.logLines.contains { $0.hasPrefix("PANIC") }, "kernel log:\n\(result.log)", sourceLocation: sourceLocation)
    if let problems = result.diskProblems {
        expectEqual(problems, [], "the disk after the run:\n\(problems.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }
    guard !result.exitStatuses.isEmpty else { return }
    if let frames = result.frames {
        expectEqual(frames.before, frames.after, "frames leaked: \(frames.after - frames.before)", sourceLocation: sourceLocation)
    } else {
        Issue.record("the kernel reported no frame counts", sourceLocation: sourceLocation)
    }
    if let stacks = result.kernelStacks {
        expectEqual(stacks.before, stacks.after, "kernel stacks leaked: \(stacks.after - stacks.before)", sourceLocation: sourceLocation)
    } else {
        Issue.record("the kernel reported no kernel stack counts", sourceLocation: sourceLocation)
    }
}

/// Runs `program` (``SystemUnderTest/run(_:_:input:argv0:rootfs:kernel:programs:setUp:onOutput:)``)
/// and expects exactly `stdout` and `status`, no problem, and nothing leaked or panicked.
@discardableResult
func expectRun(_ program: String, _ arguments: [String] = [], input: String = "", argv0: String? = nil,
               setUp: (inout ProgramRun) -> Void = { _ in },
               stdout expected: String, status: Int64 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> ProgramRun.Result {
    let result = try SystemUnderTest.run(program, arguments, input: input, argv0: argv0, setUp: setUp)
    expectEqual(result.problem, nil, "kernel log:\n\(result.log)", sourceLocation: sourceLocation)
    expectEqual(result.stdout, expected, sourceLocation: sourceLocation)
    expectEqual(result.exitStatus, status, sourceLocation: sourceLocation)
    expectNothingLeakedAndNoPanic(result, sourceLocation: sourceLocation)
    return result
}
