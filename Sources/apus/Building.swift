import ApusTool
import ArgumentParser
import Foundation

// Building before a boot: the kernel, and the programs a run needs.
//
// Both builds say nothing when nothing is stale. The kernel's build shows what it is doing
// on one line of standard error (rewritten in place at a terminal); each program compiled
// gets a line of its own.

/// Builds the kernel when it is stale and returns its image.
func buildKernel() throws -> URL {
    let build = KernelBuild()
    if build.isUpToDate { return build.kernelImage }
    let interactive = isatty(STDERR_FILENO) != 0
    note("Building the kernel…")
    let image = try build.build { line in
        // The compiler's warnings are the contributor's to see (the kernel builds without any).
        if line.contains(": warning:") {
            note((interactive ? "\r\u{1B}[K" : "") + "  " + line)
            return
        }
        guard line.hasPrefix("["), interactive else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K  \(line.prefix(100))".utf8))
    }
    if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    return image
}

/// Builds the shipped programs that `run` needs (its program, and the shipped programs its
/// arguments name) and returns the folder of built programs.
func buildPrograms(for run: ProgramRun) throws -> URL {
    let build = UserlandBuild()
    let needed = try build.programsNeeded(program: run.program, arguments: run.arguments)
    return try build.build(.only(needed)) { note("  \($0)") }
}
