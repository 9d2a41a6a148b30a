import ApusCore
import ApusTool
import Foundation
import Testing

extension PagerDependent {
/// Programs on several CPUs (ABI.md §8): threads run on them at once, and no CPU reaches a
/// page's old frame once the call that took the page away has returned. These run on at
/// least two CPUs whatever `APUS_CPUS` says (on more when it says more); `BootTests` starts
/// four.
@Suite("Several CPUs")
struct SeveralCPUsTests {
    /// At least two CPUs: what these tests are about.
    static let cpus = max(SystemUnderTest.cpus, 2)

    /// Runs `program` on ``cpus`` CPUs (or `cpus`), as `apus run` does.
    static func run(_ program: String, _ arguments: [String] = [], cpus: Int = cpus) throws -> ProgramRun.Result {
        try SystemUnderTest.run(program, arguments) { $0.machine.cpus = cpus }
    }

    /// The run ended with `status`, printed `lines` first (the lines after them are times),
    /// and gave back every frame and kernel stack.
    static func expect(_ result: ProgramRun.Result, lines: [String], status: Int64 = 0, sourceLocation: SourceLocation = #_sourceLocation) {
        expectEqual(result.problem, nil, "kernel log:\n\(result.log)", sourceLocation: sourceLocation)
        expectEqual(result.exitStatus, status, "output:\n\(result.stdout)\nkernel log:\n\(result.log)", sourceLocation: sourceLocation)
        let printed = result.stdout.split(separator: "\n").map(String.init)
        expectEqual(Array(printed.prefix(lines.count)), lines, sourceLocation: sourceLocation)
        expectNothingLeakedAndNoPanic(result, sourceLocation: sourceLocation)
    }

    @Test func aMachineOfOneCPUStartsNoOther() throws {
        let result = try Self.run("hello", cpus: 1)
        Self.expect(result, lines: ["Hello from Apus!"])
        expectEqual(result.processors, 1)
        #expect(result.logLines.contains("cpus: 1 running"))
    }

    @Test func noAccessReachesAPagesOldFrameAfterUnmapRemapOrForkReturned() throws {
        let result = try Self.run("tlbshootdown")
        Self.expect(result, lines: ["100 rounds of unmap and remap (the decoy got the old frame in 100), 20 forks: no access reached an old frame"])
        #expect(result.log.contains("TLB shootdowns"), "the kernel says how many it sent")
    }

    @Test func fourThreadsCountPrimesOnSeveralCPUs() throws {
        Self.expect(try Self.run("primes", ["100000"]), lines: ["9592 primes below 100000"])
    }

    @Test func threadsSharingAnAddressSpaceMapTouchAndUnmapWhileTheOthersRead() throws {
        Self.expect(try Self.run("mmshared"), lines: ["4 threads mapped, touched and unmapped 32 pages 40 times each: every page held its owner's words"])
    }

    /// A signal for a process that spins on another CPU interrupts that CPU (linuxspin.c,
    /// compared with the host: kill, stop, continue and a handler, with no system call in
    /// the targets' loops).
    @Test func signalsReachProcessesSpinningOnOtherCPUs() throws {
        try LinuxProgramTests.withHostProgram("linuxspin") { folder, hostRun in
            let result = try SystemUnderTest.run("linuxspin", rootfs: [folder]) { $0.machine.cpus = Self.cpus }
            expectEqual(result.problem, nil, "kernel log:\n\(result.log)")
            expectEqual(result.stdout, try hostRun.output())
            #expect(result.exitStatus == 0 && result.processors == Self.cpus)
            expectNothingLeakedAndNoPanic(result)
        }
    }

    @Test func theWaitForTheKernelLockIsMeasuredAndReported() throws {
        let result = try Self.run("threads")
        expectEqual(result.exitStatus, 0)
        let lock = try #require(result.kernelLock, "the kernel reports the lock's waits")
        #expect(lock.acquisitions > 0 && lock.cpuTicks > 0 && lock.waitedTicks >= 0 && lock.waitedTicks <= lock.cpuTicks)
        expectEqual(result.processors, Self.cpus)
    }
}
}
