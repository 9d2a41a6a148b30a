import ApusCore
import ApusTool
import Foundation
import Testing

/// The kernel and the shipped programs, built once for the whole test run, and the one way
/// the tests boot them. Every run uses software emulation: the tests must pass without KVM
/// and give the same answer everywhere.
enum SystemUnderTest {
    static let kernel: Result<URL, ToolError> = build { try KernelBuild().build() }
    static let programs: Result<URL, ToolError> = build { try UserlandBuild().build() }

    private static func build(_ body: () throws -> URL) -> Result<URL, ToolError> {
        do { return .success(try body()) } catch let error as ToolError {
            return .failure(error)
        } catch {
            return .failure(ToolError("\(error)"))
        }
    }

    static var machine: Machine {
        var machine = Machine()
        machine.acceleration = .software
        machine.cpus = cpus
        return machine
    }

    /// The CPUs of every machine: `APUS_CPUS=4` in the environment runs the whole suite on
    /// four (CI runs a tier of it that way), one otherwise.
    static let cpus: Int = ProcessInfo.processInfo.environment["APUS_CPUS"].flatMap { Int($0) }.map { min(max($0, 1), Machine.maximumCPUs) } ?? 1

    /// The pager the programs run with: the eager one when the environment says
    /// `APUS_PAGER=eager` (CI runs the ``PagerDependent`` tests so), the lazy one otherwise.
    static let pager: PagingPolicy = ProcessInfo.processInfo.environment["APUS_PAGER"].flatMap { PagingPolicy(name: $0.utf8) } ?? .lazy

    static func boot(_ commandLine: String) throws -> Machine.Outcome {
        try machine.run(kernel: kernel.get(), commandLine: commandLine)
    }

    /// Runs `program` as `apus run` does, set up as every system test runs it (software
    /// emulation, the suite's pager, the shipped programs and data files on a new disk, which
    /// the checker reads after the run: ``ProgramRun/Result/diskProblems``); `setUp` then changes
    /// what the test needs (repetitions, the pager, the memory, names as bytes…).
    static func run(_ program: String, _ arguments: [String] = [], input: String = "", argv0: String? = nil,
                    rootfs: [URL] = [], kernel: URL? = nil, programs: URL? = nil,
                    setUp: (inout ProgramRun) -> Void = { _ in },
                    onOutput: @escaping @Sendable (Data, ConsoleStream) -> Void = { _, _ in }) throws -> ProgramRun.Result {
        var run = ProgramRun(program: program, arguments: arguments, argv0: argv0)
        run.machine = machine
        run.pager = pager
        run.standardInput = Data(input.utf8)
        run.extraFiles = rootfs
        run.checksDisk = true
        setUp(&run)
        return try run.run(kernel: kernel ?? self.kernel.get(), programs: programs ?? self.programs.get(),
                           data: UserlandBuild().dataFiles, onOutput: onOutput)
    }
}

/// The tests whose outcome depends on the pager: their programs map, unmap, fork or start
/// threads, or they test the paths that ask the pager about pages no one has touched yet
/// (bad pointers, faults). Every `swift test` runs them with the lazy pager; CI runs them a
/// second time with the eager one (`APUS_PAGER=eager swift test --filter PagerDependent`).
/// The other system tests run once: they do not depend on the pager, or they set their own.
@Suite("Tests that depend on the pager")
enum PagerDependent {}

extension ProgramRun.Result {
    var stdout: String { String(decoding: output, as: UTF8.self) }
    var stderr: String { String(decoding: errorOutput, as: UTF8.self) }
    var logLines: [String] { log.split(separator: "\n").map(String.init) }
}
