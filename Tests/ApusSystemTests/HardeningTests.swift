import ApusCore
import ApusTool
import Foundation
import Testing

/// Programs that attack the kernel (its heap, its return paths, its limits), each meeting
/// its documented end: the kernel goes on, the program gets an error code or dies alone with
/// status −1.
@Suite("Hostile programs cannot stop the kernel")
struct HardeningTests {
    @Test func sixtyFourMiBGoThroughOnePipeThatNeverEmpties() throws {
        try expectRun("pipefill", stdout: "moved 67112955 bytes through one pipe that never emptied\n")
    }

    /// A write must make every page of its buffer ready before a byte moves. A buffer of 512
    /// MiB the program never touched needs more frames than the machine has: the write is
    /// NoMemory, and the pages it filled before it ran out go back (they held only zeros), so
    /// the process can still start a thread. Demand paging's case (the eager pager cannot even
    /// map 512 MiB here), so the lazy pager whatever APUS_PAGER says.
    @Test func aWriteThatRunsOutOfFramesGivesBackThePagesItFilled() throws {
        try expectRun("hostile", ["bigwrite"], setUp: { $0.pager = .lazy }, stdout: """
            mmap: 1, open: 3
            write of 512 MiB never touched, to a file: -12
            thread_create: started, join 0 status 3

            """)
    }

    @Test(arguments: ["iret", "lret", "lcall"])
    func aReturnOrCallThroughTheStackInRingThreeEndsOnlyTheProgram(kind: String) throws {
        let result = try expectRun("fault", [kind], stdout: "about to fault: \(kind)\n", status: -1)
        // Under QEMU with SMAP the CPU reads the stack as a supervisor access; on a CPU that
        // allows the instruction the program lands on ud2. Either way it ends, once.
        #expect(result.logLines.contains { ($0.contains("error code") || $0.contains("invalid opcode")) && $0.hasSuffix("process killed with status -1") },
                "log:\n\(result.log)")
    }

    @Test func everyProgramStartsFromACleanFPUAndSSEState() throws {
        let result = try SystemUnderTest.run("fpustate", setUp: { $0.repetitions = 2 })
        expectEqual(result.stdout, String(repeating: "fcw 0x37f, mxcsr 0x1f80, xmm zero, st zero\n", count: 2), "log:\n\(result.log)")
        expectEqual(result.exitStatuses, [0, 0], "the second run sees none of the first's registers")
    }

    @Test func threeHundredThousandArgumentsAreRefusedWithTheLimit() throws {
        let arguments = Array(repeating: "a", count: 300_000)
        let result = try SystemUnderTest.run("hello", arguments)
        let needed = UserStack.requiredBytes(argumentCount: 300_001, totalLength: "hello".utf8.count + 300_000)
        expectEqual(result.exitStatus, nil)
        expectEqual(result.problem, "cannot run hello: the arguments do not fit in the 32 KiB of the stack they may take")
        #expect(result.logLines.contains("run: cannot start the program: the arguments need \(needed) bytes of the stack and at most 32768 are available to them"),
                "log:\n\(result.log)")
        expectNothingLeakedAndNoPanic(result)
    }

    /// Standard input that does not fit in the machine beside the kernel, or leaves it too
    /// little RAM: the kernel says why it cannot start, in words.
    @Test(arguments: [
        (64, 56, "cannot start: the boot module stdin (57344 KiB at 0x"),
        // After the kernel and its symbols (about 10 MiB), 90 MiB of input end near 100 MiB:
        // the heap's 48 MiB fit after it and leave less than the 16 MiB Apus needs.
        (160, 90, "cannot start: the boot modules leave "),
    ])
    func inputThatLeavesTooLittleMemoryIsRefusedInWords(memory: Int, inputMiB: Int, reason: String) throws {
        let result = try SystemUnderTest.run("hello") { run in
            run.machine.memory = memory
            run.standardInput = Data(count: inputMiB << 20)
        }
        expectEqual(result.exitStatus, nil)
        #expect(result.logLines.contains { $0.hasPrefix(reason) }, "log:\n\(result.log)")
        #expect(result.logLines.contains("  stdin: \(inputMiB << 10) KiB"))
        #expect(result.logLines.contains { $0.hasPrefix("give the program less input") })
        #expect(!result.log.contains("invalid opcode"))
        expectNothingLeakedAndNoPanic(result)
    }

    @Test func aKernelHeapThatRunsDryPanicsInWords() throws {
        let outcome = try SystemUnderTest.boot("heap-exhaustion-test")
        expectEqual(outcome.status, Machine.statusPanic, "kernel log:\n\(outcome.log)")
        #expect(outcome.logLines.contains { $0.hasPrefix("PANIC: kernel heap exhausted: ") && $0.contains(" bytes requested, ") && $0.hasSuffix(" free of 50331648") },
                "kernel log:\n\(outcome.log)")
        #expect(outcome.logLines.contains("backtrace:"))
    }
}

extension PagerDependent {
    /// Hostile programs that map memory or fork: the kernel ends them, and only them, at the
    /// edges of the user half and with stack pointers no program can use.
    @Suite("Hostile programs that map or fork cannot stop the kernel")
    struct HardeningTests {
        @Test func aSystemCallFromTheLastTwoBytesOfTheUserHalfEndsTheProgram() throws {
            let result = try expectRun("sysret", stdout: "system call from 0x7ffffffffffe\n", status: -1)
            #expect(result.logLines.contains { $0.hasSuffix("system call returns to the non-canonical address 0x800000000000; process killed with status -1") },
                    "log:\n\(result.log)")
        }

        @Test func aForkFromTheLastTwoBytesOfTheUserHalfMakesNoChild() throws {
            let result = try expectRun("forkedge", ["rip"], stdout: "the child that forked at a return address no program can use is gone: read -32\n")
            #expect(result.logLines.contains("process 2: system call returns to the non-canonical address 0x800000000000; process killed with status -1"),
                    "log:\n\(result.log)")
            // On hardware an `iretq` to 0x8000_0000_0000 faults in ring 0: no thread may start there.
            #expect(!result.logLines.contains("process 3 started (parent 2)"), "log:\n\(result.log)")
        }

        @Test func aForkWithANonCanonicalStackPointerEndsBothSidesInRingThree() throws {
            try expectRun("forkedge", ["rsp"], stdout: "the child that forked at a stack pointer no program can use is gone: read -32\n")
        }

        @Test func segmentRegistersAreEachProcesssOwnAcrossSwitches() throws {
            try expectRun("segments", stdout: "segments at the start: 0x0 0x0 0x0 0x0; the child's ES and FS are its parent's: yes; the parent's are unchanged by the child: yes\n")
        }

        @Test func nonCanonicalUserStackPointersAreHandedBackWithoutStoppingTheKernel() throws {
            try expectRun("badstack", stdout: "the parent went on: 105000000\n")
        }
    }
}
