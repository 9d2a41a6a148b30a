import ApusTool
import ArgumentParser
import Foundation

/// The `apus` command: its subcommands, its help, and how a command line reaches them.
///
/// `run` is the default subcommand, so `apus hello` runs `hello`. The program's name and
/// arguments never go through the parser as text: ``ProgramCommandLine`` splits the raw
/// bytes first, and the parser sees only the subcommand, the options and the program's name.
@main
struct Apus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "Build, boot and test Apus, an x86-64 teaching kernel in Embedded Swift.",
        usage: """
            apus [run] [<options>] [<program>] [<arguments> ...]
            apus test [<filter>]
            apus debug [<options>] <program> [<arguments> ...]
            apus boot [<options>]
            apus bench [--linux <vmlinuz>] [<options>]
            apus build [<program> ...]
            apus mkfs [<options>] <image> [<dir>]
            apus fsck <image>
            apus ls [-a] [-l] [-U] <image> [<path> ...]
            apus cp <file> <image>:<path> | <image>:<path> <file>
            """,
        discussion: """
            Every command builds what it needs and what changed first (the kernel, the programs it runs \
            from Userland/programs) and nothing when nothing did. Through SwiftPM, type `swift run apus …`.

            Examples:
              apus hello                      run a program (`run` is the default)
              apus run argv one "two three"   arguments reach the program as given
              echo hi | apus run cat          standard input is the program's
              apus run --verbose cow          the kernel's log too: processes, forks
              apus run --rootfs ./bin myprog  a program built elsewhere, from ./bin
              apus test Pipe                  the system tests whose name has Pipe
              apus debug hello                stop before the first instruction, for gdb
              apus boot                       the hardware checks alone
              apus bench --linux /boot/vmlinuz-*   the kernel's costs beside Linux's
              apus build                      the kernel and every program, ahead of runs
              apus mkfs disk.img ./tree       a disk image holding the files of ./tree
              apus fsck disk.img              check an image against every rule of its format
              apus ls -l disk.img /           list a directory of an image
              apus cp disk.img:/notes.txt .   copy a file out of an image (or into one)
            """,
        subcommands: [Run.self, Test.self, Debug.self, Boot.self, Bench.self, Build.self, Mkfs.self, Fsck.self, Ls.self, Cp.self],
        defaultSubcommand: Run.self)

    /// The command line as bytes, split before the parser sees it: the options and the
    /// program's name go to the parser; the program's arguments (``ProgramCommandLine``) pass
    /// through as exact bytes, in one linear step however many there are.
    static func main() {
        openClosedStandardDescriptors()
        stopQEMUOnSignals()
        let raw = (1..<Int(CommandLine.argc)).map { index in
            Array(UnsafeBufferPointer(start: CommandLine.unsafeArgv[index], count: strlen(CommandLine.unsafeArgv[index]!))).map { UInt8(bitPattern: $0) }
        }
        let split = ProgramCommandLine.split(raw)
        ProgramCommandLine.current = split
        let arguments = split.parsed.map { String(decoding: $0, as: UTF8.self) }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            // A command line the parser refuses exits with 2, as every command documents.
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            note(fullMessage(for: error))
            Foundation.exit(2)
        }
    }
}
