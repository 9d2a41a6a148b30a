import ApusCore
import ApusTool
import Foundation
import Testing

/// The kernel in QEMU: it boots, its hardware checks pass, and a panic reports itself.
@Suite("Booting Apus in QEMU")
struct BootTests {
    static func boot(_ commandLine: String) throws -> Machine.Outcome {
        try SystemUnderTest.boot(commandLine)
    }

    static let checks = [
        "execute-in-new-page-table",
        "write-to-read-only-faults",
        "fetch-from-non-executable-faults",
        "unmapped-page-faults",
        "swift-heap",
        "memory-functions",
        "spurious-interrupts-ignored",
        "mutex-excludes",
        "mutex-first-come-first-served",
        "semaphore-ping-pong",
        "semaphore-wakes-in-order",
        "condition-variable-bounded-buffer",
        "heap-budget-thread",
        "heap-budget-process",
        "frames-returned",
    ]

    /// The checks of the kernel's threads on every CPU (ProcessorChecks.swift).
    static let severalCPUChecks = [
        "mutex-counter-of-64-threads",
        "waiting-thread-is-parked",
        "semaphore-with-n-permits",
        "bounded-buffer-with-many-consumers",
        "run-queues-balance",
        "idle-cpu-steals",
    ]

    @Test func bootStartsEveryCPUOfTheMachineListsThemAndPassesEveryCheckOnFour() throws {
        var machine = SystemUnderTest.machine
        machine.cpus = 4
        let outcome = try machine.run(kernel: SystemUnderTest.kernel.get(), commandLine: "checks")
        expectEqual(outcome.status, 0, "kernel log:\n\(outcome.log)")
        let lines = outcome.logLines
        #expect(lines.contains { $0.hasPrefix("cpu 0: local APIC id 0, the bootstrap processor") })
        for cpu in 1...3 { #expect(lines.contains("cpu \(cpu): local APIC id \(cpu), started"), "kernel log:\n\(outcome.log)") }
        #expect(lines.contains("cpus: 4 running"))
        #expect(outcome.records.contains(RunRecord(kind: .processors, first: 4)))
        for check in Self.checks + Self.severalCPUChecks {
            #expect(lines.contains("check \(check): ok"), "check \(check) in:\n\(outcome.log)")
        }
    }

    /// The most CPUs a machine may have: the boot of each takes its share of the kernel heap,
    /// and a run's budgets must still fit beside them all.
    @Test func aMachineOfSixteenCPUsHasRoomForEveryBudgetAndRunsAProgram() throws {
        let result = try SystemUnderTest.run("hello") { run in run.machine.cpus = 16 }
        expectEqual(result.exitStatus, 0, "kernel log:\n\(result.log)")
        expectEqual(result.stdout, "Hello from Apus!\n")
        #expect(result.logLines.contains("cpus: 16 running"), "kernel log:\n\(result.log)")
        expectNothingLeakedAndNoPanic(result)
    }

    @Test func bootsAndPassesEveryHardwareCheck() throws {
        let outcome = try Self.boot("checks")
        expectEqual(outcome.problem, nil)
        expectEqual(outcome.status, 0, "kernel log:\n\(outcome.log)")
        let lines = outcome.logLines
        expectEqual(lines.first?.hasPrefix("Apus "), true, "the banner comes first")
        #expect(lines.contains { $0.contains("MiB RAM") && $0.contains("free frames") })
        for check in Self.checks {
            #expect(lines.contains("check \(check): ok"), "check \(check) in:\n\(outcome.log)")
        }
        #expect(lines.contains("all checks passed"))
        #expect(outcome.console.isEmpty, "nothing but programs writes to the console")
    }

    @Test func aKernelFaultPanicsWithItsCauseAndABacktraceThenPowersOffWithFailure() throws {
        let outcome = try Self.boot("panic-test")
        expectEqual(outcome.status, Machine.statusPanic, "kernel log:\n\(outcome.log)")
        let lines = outcome.logLines
        #expect(lines.contains("PANIC: page fault (#PF) in the kernel"))
        #expect(lines.contains { $0.contains("vector 14") && $0.contains("error code 0x2") && $0.contains("CR2 0x8") })
        #expect(lines.contains { $0.contains("RIP 0x") && $0.contains("PanicTest") && $0.contains("innerFrame") }, "RIP is named")
        let backtrace = lines.drop { $0 != "backtrace:" }.dropFirst()
        #expect(backtrace.contains { $0.contains("PanicTest") }, "the backtrace names the callers")
        #expect(backtrace.contains { $0.contains("boot") })
    }
}
