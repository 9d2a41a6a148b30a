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
        let result = try run.run(kernel: kernel, programs: programs, data: UserlandBuild().dataFiles, onOutput: passProgramOutput, report: report)
        // Ctrl-C, SIGTERM… stopped the machine: the signal's own exit is the command's.
        Machine.waitIfStopping()
        return result
    } catch let error as ProgramRun.NoSuchProgram {
        note("apus: \(error)")
        throw ExitCode(127)
    } catch let error as ToolError {
        Machine.waitIfStopping()
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
        if let hint = optionsHint(program: run.program, arguments: run.arguments) { note(hint) }
        throw ExitCode(127)
    }
}

/// For a program that is not there whose name is an option, or whose arguments hold the
/// tool's options: where options go.
func optionsHint(program: [UInt8], arguments: [[UInt8]]) -> String? {
    let options = ProgramCommandLine.optionsWithValues.union(ProgramCommandLine.flags)
    let misplaced = arguments.filter { word in
        word.first == UInt8(ascii: "-") && options.contains(Array(word.prefix { $0 != UInt8(ascii: "=") }))
    }
    guard program.first == UInt8(ascii: "-") || !misplaced.isEmpty else { return nil }
    let named = !misplaced.isEmpty ? " (\(misplaced.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")) came after it)"
        : " (\(String(decoding: program, as: UTF8.self)), after --, was taken for the name)"
    return "  Options go before the program's name: apus run [OPTIONS] PROGRAM [ARGUMENTS…]; every word after the name is the program's\(named)."
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

/// Exits with 2 when `path` cannot be written: its folder is missing or not writable, or it
/// exists and is not a writable file. Checked before the boot, so a run is never wasted.
func requireWritable(_ path: String, for option: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    var isFolder: ObjCBool = false
    let problem: String?
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
        problem = isFolder.boolValue ? "it is a folder" : access(path, W_OK) == 0 ? nil : "it is not writable"
    } else if !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) || !isFolder.boolValue {
        problem = "the folder \(folder) does not exist"
    } else {
        problem = access(folder, W_OK) == 0 ? nil : "the folder \(folder) is not writable"
    }
    if let problem {
        note("apus: \(option) \(path): cannot write it: \(problem)")
        throw ExitCode(2)
    }
}

/// Whether descriptors `a` and `b` are open on the same file, pipe or terminal.
func sameFile(_ a: Int32, _ b: Int32) -> Bool {
    var first = stat(), second = stat()
    guard fstat(a, &first) == 0, fstat(b, &second) == 0 else { return false }
    return first.st_dev == second.st_dev && first.st_ino == second.st_ino
}
