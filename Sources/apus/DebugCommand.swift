import ApusTool
import ArgumentParser
import Foundation

/// `apus debug`: a program on Apus with QEMU waiting for gdb.
struct Debug: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a program on Apus with QEMU waiting for gdb.",
        discussion: """
            Boots Apus with the CPU stopped and QEMU's gdb server on localhost:1234, and writes a gdb script \
            that loads the kernel's and the program's symbols and connects. In another terminal: \
            gdb -x <the script it prints>. The program's output appears here as it runs.

            Examples:
              apus debug hello              then: gdb -x <script>, break main, continue
              apus debug argv one two       with arguments, as `apus run` takes them
              apus debug --rootfs ./bin p   a program of your own, with its symbols
            """)

    @OptionGroup var target: ProgramArguments

    func run() throws {
        var run = target.programRun()
        // Problems with the command line first, before the build and the boot.
        try requireRootfsFolders(run.extraFiles)
        try requireProgram(of: run)
        let kernel = try buildKernel()
        let programs = try buildPrograms(for: run)
        run.machine.acceleration = .software
        run.machine.collectsOutput = false
        run.machine.waitForDebugger = true
        let files = try ProgramRun.rootFiles(programs: programs, data: UserlandBuild().dataFiles, extra: run.extraFiles)
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("apus-debug.gdb")
        var commands = ["file \(kernel.path)"]
        if let binary = files.first(where: { $0.name == run.program }) {
            commands.append("add-symbol-file \(String(decoding: binary.path, as: UTF8.self))")
        }
        commands += ["set architecture i386:x86-64", "target remote localhost:1234",
                     "echo Apus is stopped before its first instruction: set breakpoints, then continue.\\n"]
        try (commands.joined(separator: "\n") + "\n").write(to: script, atomically: true, encoding: .utf8)
        note("apus: QEMU waits for gdb on localhost:1234; in another terminal run:")
        note("  gdb -x \(script.path)")
        let result = try runOrExit(run, kernel: kernel, programs: programs)
        if let problem = result.problem { note("apus: \(problem)") }
        throw ExitCode(result.shellStatus)
    }
}
