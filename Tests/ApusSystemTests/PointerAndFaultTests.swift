import ApusCore
import ApusTool
import Foundation
import Testing

extension PagerDependent {
    /// Bad pointers and faults (ABI.md §1–4): every system call that takes a pointer refuses
    /// one the program may not use with BadAddress and changes nothing; a program that faults
    /// dies alone with status −1; the registers a system call must keep, it keeps.
    @Suite("Bad pointers and faults")
    struct PointerAndFaultTests {
        @Test func badPointersAreBadAddressForEverySyscallThatTakesOne() throws {
            _ = try expectRun("badptr", stdout: """
                NULL: open -14 read -14 write -14 pipe -14
                kernel: open -14 read -14 write -14 pipe -14
                kernel window: open -14 read -14 write -14 pipe -14
                non-canonical: open -14 read -14 write -14 pipe -14
                unmapped: open -14 read -14 write -14 pipe -14
                read into read-only memory: -14
                pipe into read-only memory: -14
                read 0 bytes to NULL: -14
                write 0 bytes from NULL: -14
                read past the stack's end: -14
                write wrapping past 2^64: -14
                read a huge length: -14
                position unchanged: 0
                still "constant"

                """)
        }

        @Test func systemCallsPreserveEveryRegisterButRaxRcxR11() throws {
            _ = try expectRun("regs", stdout: """
                tell(1): result -22, 0 registers changed
                read(file): result 13, 0 registers changed
                pipe: result 0, 0 registers changed
                write(pipe): result 13, 0 registers changed
                read(pipe): result 13, 0 registers changed
                read(file) into a fresh page: result 13, 0 registers changed
                0 registers changed in all

                """)
        }

        @Test(arguments: [
            ("read", "page fault at 0x10000000: access to a non-present page"),
            ("null", "page fault at 0x0: access to a non-present page"),
            ("write-read-only", "write to a read-only page"),
            ("execute-stack", "execution of a non-executable page"),
            ("kernel", "page fault at 0xffff800000000000"),
            ("gp", "general protection (#GP)"),
            ("non-canonical", "general protection (#GP)"),
            ("ud", "invalid opcode (#UD)"),
            ("divide", "divide error (#DE)"),
            ("int3", "general protection (#GP)"),
            ("int80", "general protection (#GP)"),
        ])
        func aFaultKillsOnlyTheProcessWithStatusMinusOne(kind: String, logged: String) throws {
            let result = try expectRun("fault", [kind], stdout: "about to fault: \(kind)\n", status: -1)
            expectEqual(result.shellStatus, 255)
            #expect(result.logLines.contains { $0.contains(logged) && $0.hasSuffix("process killed with status -1") }, "log:\n\(result.log)")
        }

        @Test func oddReadsOfStandardInputGetTheDocumentedErrors() throws {
            let result = try SystemUnderTest.run("stdinedge", input: "abc")
            expectEqual(result.stdout, InteractiveInputTests.stdinedgeOutput)
            expectEqual(result.exitStatus, 0)
        }
    }
}
