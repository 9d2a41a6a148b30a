import ApusTool
import ArgumentParser
import Foundation

/// `apus build`: the kernel and the shipped programs, built ahead of any run.
struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the kernel and the shipped programs (all of them, or those named).",
        discussion: """
            `apus run` builds the kernel and the programs it runs when they are stale; this command builds \
            them ahead of time: the kernel, and every program of Userland/programs or only the PROGRAMs \
            named. A run's root file system holds every shipped program that is built and up to date, so \
            after `apus build` it holds them all. Nothing up to date is built again. The exit status is 0 \
            when everything built, 1 when something did not build, 2 for a name that is no program.

            Examples:
              apus build                     the kernel and every program
              apus build hello cat           the kernel, hello and cat
            """)

    @Argument(help: "Programs of Userland/programs to build (all of them when none is named).")
    var programs: [String] = []

    func run() throws {
        let build = UserlandBuild()
        let known = try build.programNames()
        if let unknown = programs.first(where: { !known.contains($0) }) {
            note("apus: no program \(unknown).c in Userland/programs")
            throw ExitCode(2)
        }
        let selection: UserlandBuild.ProgramSelection = programs.isEmpty ? .all : .only(programs)
        do {
            // The programs compile while the kernel does: the kernel's compile keeps one core
            // busy for most of its minute, and the programs' take a few seconds of the others.
            _ = try atOnce({ try buildKernel() }, { try build.build(selection) { note("  \($0)") } })
        } catch let error as ToolError {
            note("apus: \(error)")
            throw ExitCode(1)
        }
    }
}
