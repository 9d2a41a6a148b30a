import ApusTool
import Foundation
import Testing

extension PagerDependent {
    /// `execve` as a hostile Linux program uses it (Fixtures/linuxexec.c, built with this
    /// host's `cc -static`): damaged programs, argument lists past the limits, bad pointers
    /// in argv and envp; and a recursion that runs into the stack's limit
    /// (Fixtures/linuxstack.c). Each case's answer is Linux's on this host, except where
    /// ``differences`` says why Apus's is another; the kernel goes on and gives everything back.
    @Suite("Linux programs: execve and the stack's limit")
    struct LinuxExecTests {
        /// The cases whose answer on Apus is not Linux's, with it.
        static var differences: [String: String] {
            [
                // ABI.md §3: ELF64, little-endian, and a segment's file bytes inside the
                // file. Linux checks neither the class nor the byte order, and maps pages of
                // the file past its end.
                "text segment past the end of the file": "ENOEXEC",
                "32-bit class": "ENOEXEC",
                "big-endian": "ENOEXEC",
                // ABI.md §3: only PT_LOAD segments are loaded; no interpreter is looked for.
                "interpreter requested": "exit 42",
                // A segment's memory is promised as a mapping's is: the lazy pager fills it
                // only where it is touched, the eager one finds no frames for 64 TiB before
                // the old program goes. Linux refuses the memory after its point of no return.
                "64 TiB of memory size": SystemUnderTest.pager == .eager ? "ENOMEM" : "exit 42",
                // The strings must fit in the start-up stack's 128 KiB, 4,096 of them at most
                // (LinuxExec); Linux allows each 128 KiB and all a quarter of the 8 MiB stack.
                "an argument of 131,071 bytes": "E2BIG",
                "two arguments of 100 KiB": "E2BIG",
                "5,000 empty arguments": "E2BIG",
            ]
        }

        /// Apus's answer to case `name`, to which Linux answered `linux`.
        static func apusAnswer(to name: String, linux: String) -> String {
            if let different = differences[name] { return different }
            // Linux maps a program's segments after its point of no return and kills the
            // process when one cannot be mapped or its entry cannot run; Apus checks every
            // segment and the entry before the old program goes (ProgramLaunch): execve fails.
            if linux.hasPrefix("killed by ") { return "ENOEXEC" }
            return linux
        }

        /// The lines `case: answer` of a run's output.
        static func answers(_ output: String) -> [(name: String, answer: String)] {
            output.split(separator: "\n").compactMap { line in
                guard let colon = line.range(of: ": ") else { return nil }
                return (String(line[..<colon.lowerBound]), String(line[colon.upperBound...]))
            }
        }

        @Test func damagedProgramsAndBadArgumentListsFailBeforeTheOldProgramGoes() throws {
            try LinuxProgramTests.withHostProgram("linuxexec") { folder, hostRun in
                let result = try SystemUnderTest.run("linuxexec", rootfs: [folder])
                let expected = try hostRun.output()
                #expect(expected.hasSuffix("survived\n"))
                expectEqual(result.problem, nil, "kernel log:\n\(result.log)")
                #expect(result.stdout.hasSuffix("survived\n"))
                expectEqual(result.exitStatus, 0)
                let linux = Self.answers(expected), apus = Self.answers(result.stdout)
                expectEqual(apus.map(\.name), linux.map(\.name))
                for (onLinux, onApus) in zip(linux, apus) where onLinux.name == onApus.name {
                    expectEqual(onApus.answer, Self.apusAnswer(to: onLinux.name, linux: onLinux.answer),
                                "\(onLinux.name): Linux answers \(onLinux.answer)")
                }
                expectNothingLeakedAndNoPanic(result)
            }
        }

        /// A child recurses until its 8 MiB stack runs out and is killed by SIGSEGV, twice.
        @Test func deepRecursionEndsWithSIGSEGVAtTheStacksLimitAsOnLinux() throws {
            let result = try LinuxProgramTests.printsWhatTheHostPrints("linuxstack")
            #expect(result.stdout.contains("killed by SIGSEGV, its stack grew to between 7 and 8 MiB: yes"))
        }
    }
}
