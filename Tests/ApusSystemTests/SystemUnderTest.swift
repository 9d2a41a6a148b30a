import ApusCore
import ApusTool
import Foundation

/// The kernel and the shipped programs, built once for the whole test run, and helpers to
/// boot them. Every run uses software emulation: the tests must pass without KVM and give
/// the same answer everywhere.
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

    /// The pager the programs run with: `APUS_PAGER=eager` in the environment runs the
    /// whole suite on eager memory (CI runs it both ways), lazy otherwise.
    static let pager: PagingPolicy = ProcessInfo.processInfo.environment["APUS_PAGER"].flatMap { PagingPolicy(name: $0.utf8) } ?? .lazy

    /// A run of `program` set up as every system test runs it: software emulation, the
    /// suite's pager.
    static func programRun(_ program: String, _ arguments: [String] = [], argv0: String? = nil) -> ProgramRun {
        var run = ProgramRun(program: program, arguments: arguments, argv0: argv0)
        run.machine = machine
        run.pager = pager
        return run
    }

    static func boot(_ commandLine: String) throws -> Machine.Outcome {
        try machine.run(kernel: kernel.get(), commandLine: commandLine)
    }

    /// Runs `program` as `apus run` does.
    static func run(_ program: String, _ arguments: [String] = [], input: String = "", argv0: String? = nil,
                    rootfs: [URL] = []) throws -> ProgramRun.Result {
        var run = programRun(program, arguments, argv0: argv0)
        run.standardInput = Data(input.utf8)
        run.extraFiles = rootfs
        return try run.run(kernel: kernel.get(), programs: programs.get(), data: UserlandBuild().dataFiles)
    }
}

extension ProgramRun.Result {
    var stdout: String { String(decoding: output, as: UTF8.self) }
    var stderr: String { String(decoding: errorOutput, as: UTF8.self) }
    var logLines: [String] { log.split(separator: "\n").map(String.init) }
}
