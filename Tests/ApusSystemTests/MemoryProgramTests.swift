import ApusCore
import ApusTool
import Foundation
import Testing

extension PagerDependent {
    /// Process memory in the kernel (ABI.md §4): mmap, munmap, checked user pointers, faults,
    /// and a clean exit, through real programs.
    @Suite("Process memory on Apus")
    struct MemoryProgramTests {
        @Test func mmapMapsAnonymousFileAndExecutableMemoryAndRefusesTheRest() throws {
            try expectRun("mmap", stdout: """
                anonymous: 0x10000000 zero: yes
                read back: written across a page line
                file: 0x20000000 "KeOS is f" tail zero: yes
                after close: "Apus"
                executed: 42
                NULL: -22, nothing changed: yes
                unaligned: -22, nothing changed: yes
                kernel half: -22, nothing changed: yes
                non-canonical: -22, nothing changed: yes
                kernel window: -22, nothing changed: yes
                past the user half: -22, nothing changed: yes
                length wraps: -22, nothing changed: yes
                zero length: -22, nothing changed: yes
                no PROT_READ: -22, nothing changed: yes
                over the text: -22, nothing changed: yes
                over the stack: -22, nothing changed: yes
                over a mapping: -22, nothing changed: yes
                bad fd: -9, nothing changed: yes
                stdin: -22, nothing changed: yes
                pipe: -22, nothing changed: yes
                empty file: -22, nothing changed: yes
                unaligned offset: -22, nothing changed: yes
                last user page: 7ffffffff000

                """)
        }

        @Test func munmapRemovesExactlyWholeMappings() throws {
            try expectRun("munmap", stdout: """
                interior page: -22
                interior byte: -22
                NULL: -22
                kernel: -22
                still there: a c
                unmap: 0
                write after: -14, getphys after: -22
                again: -22
                remapped: 0x10000000, reads 0
                unmap the stack's middle: -22

                """)
        }

        @Test func systemCallsRefuseReadOnlyUnmappedAndFreshlyUnmappedBuffers() throws {
            try expectRun("buffers", stdout: """
                read into read-only: -14
                write from read-only: 0
                read into unmapped: -14
                read into freshly unmapped: -14
                write from freshly unmapped: -14
                pipe into freshly unmapped: -14
                open path in freshly unmapped: -14
                position still: 0

                """)
        }

        @Test func writingToAReadOnlyFileMappingKillsTheProgram() throws {
            let result = try expectRun("mmap_fault", stdout: "mapped: KeOS\n", status: -1)
            #expect(result.logLines.contains { $0.hasPrefix("process 1: page fault at 0x20000000: write to a read-only page (rip 0x") && $0.hasSuffix("); process killed with status -1") })
        }

        @Test func sseRegistersSurviveSystemCallsAndResolvedFaults() throws {
            try expectRun("sse", stdout: """
                xmm6 after two syscalls: 1.50 2.25, product x4 = 13
                xmm15 kept; through the pipe: Hello, file!
                read into a fresh page: Hello, file!

                """)
        }

        @Test func aProgramThatTouches64MiBRuns24TimesInA512MiBMachineWithoutLeaking() throws {
            let result = try SystemUnderTest.run("bigmap") { run in
                run.repetitions = 24
                expectEqual(run.machine.memory, 512)
            }
            expectEqual(result.exitStatuses, [Int64](repeating: 0, count: 24), "log:\n\(result.log)")
            expectEqual(result.stdout, String(repeating: "touched 64 MiB, checksum 2088960\n", count: 24))
            expectNothingLeakedAndNoPanic(result)
        }

        /// 40,000 calls (100,000 in the long tier).
        @Test func randomSystemCallsAllReturnWithoutPanicOrLeak() throws {
            let calls = TestTier.count(short: 40_000, long: 100_000)
            let result = try SystemUnderTest.run("fuzz", ["\(calls)"])
            expectEqual(result.exitStatus, 0, "log:\n\(result.log)")
            let started = result.stdout.wholeMatch(of: /(\d+) calls returned; (\d+) threads were started\n/).map { (Int($0.1)!, Int($0.2)!) }
            expectEqual(started?.0, calls, "every call returned: \(result.stdout)")
            #expect((started?.1 ?? 0) > 20, "threads fuzz too: \(result.stdout)")
            expectNothingLeakedAndNoPanic(result)
        }

        @Test func aProgramHoardingEveryResourceGetsErrorsAndTheKernelReclaimsAll() throws {
            try expectRun("hoard", stdout: "510 pipes holding 2088960 bytes, then -24; over 100000 mappings, then -12\n")
        }

        @Test func theMemoryDemoLeaksNothing() throws {
            let result = try SystemUnderTest.run("mm-demo")
            expectEqual(result.exitStatus, 0)
            #expect(result.stdout.contains("unmapping both: 0 0\n"))
            expectNothingLeakedAndNoPanic(result)
        }
    }
}
