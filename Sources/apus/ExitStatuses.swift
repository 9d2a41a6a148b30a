import ApusTool
import ArgumentParser
import Foundation

// The tool's own failures as the exit statuses `apus run` documents: 2 for a wrong command
// line, 127 for a program that is in no root file system, 125 for a machine that could not be
// set up. (126, a program that cannot start, and the program's own status come from the run.)

/// Runs `run`, passing the program's output on; exits with 127 for a program that is not in
/// the root file system, 125 for a machine that could not be set up (QEMU missing, no room
/// for the run's files).
func runOrExit(_ run: ProgramRun, kernel: URL, programs: URL, report: (String) -> Void = { _ in }) throws -> ProgramRun.Result {
    do {
        return try run.run(kernel: kernel, programs: programs, data: UserlandBuild().dataFiles, onOutput: passProgramOutput, report: report)
    } catch let error as ProgramRun.NoSuchProgram {
        note("apus: \(error)")
        throw ExitCode(127)
    } catch let error as ToolError {
        note("apus: \(error)")
        throw ExitCode(125)
    }
}

/// Exits with 127 and the names there are, before anything is built, when `run`'s program
/// can be in no root file system: it is not a shipped program (built or not), a data file or
/// a file of the `--rootfs` folders.
func requireProgram(of run: ProgramRun) throws {
    let build = UserlandBuild()
    do {
        try run.requireProgram(among: build.programNames(), data: build.dataFiles)
    } catch let error as ProgramRun.NoSuchProgram {
        note("apus: \(error)")
        throw ExitCode(127)
    }
}

/// Exits with 2 and the reason when a `--rootfs` folder is missing or is a file: a problem
/// with the command line, found before anything is built or booted.
func requireRootfsFolders(_ folders: [URL]) throws {
    do {
        for folder in folders { _ = try ProgramRun.listFolder(folder) }
    } catch let error as ToolError {
        note("apus: \(error)")
        throw ExitCode(2)
    }
}
