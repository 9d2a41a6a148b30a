import ApusTool
import ArgumentParser
import Foundation

/// What `apus run` and `apus debug` both take: the program, its arguments, and folders whose
/// files join the root file system.
struct ProgramArguments: ParsableArguments {
    @Argument(help: "The program to run: a file of the root file system (a shipped program or one from --rootfs).")
    var program = "demo"

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the program (passed on as exact bytes).")
    var arguments: [String] = []

    @Option(help: "Add the files of this folder to the root file system.")
    var rootfs: [String] = []

    /// The run these name, the program's name and arguments as the exact bytes of the command
    /// line (``ProgramCommandLine``).
    func programRun(argv0: [UInt8]? = nil) -> ProgramRun {
        let line = ProgramCommandLine.current
        var run = ProgramRun(program: line.program ?? Array(program.utf8), arguments: line.arguments, argv0: argv0)
        run.extraFiles = rootfs.map { URL(fileURLWithPath: $0) }
        return run
    }
}
