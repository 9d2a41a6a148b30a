import ApusCore
import Testing

/// The model-based test of copy-on-write fork: seeded random runs of up to six processes,
/// eager and lazy, spawning, forking, mapping, writing, reading, unmapping and exiting, with
/// frames running out on purpose; the real address spaces and the plain ``ProcessModel``
/// are compared after every step, and every frame must be back when the last process has
/// exited. A failure reports the seed and the shortest operation list that still fails.
@Suite("Model-based test of fork and copy-on-write")
struct ForkModelTests {
    /// 1,000 a run; 5,000 in the long tier (``TestTier``).
    static let operationsPerRun = TestTier.count(short: 1_000, long: 5_000)

    @Test(arguments: [0xF0_4B00_0001 as UInt64, 0xF0_4B00_0002, 0xF0_4B00_0003, 0xF0_4B00_0004])
    func processesAgreeWithTheModel(seed: UInt64) {
        var generator = ProcessOperationGenerator(seed: seed)
        var runner = ProcessModelRunner()
        let (operations, divergence) = runner.run { step, model in
            step < Self.operationsPerRun ? generator.next(model: model) : nil
        }
        guard let divergence else { return }
        let failing = divergence.operation == nil ? operations : Array(operations.prefix(divergence.step + 1))
        let shortest = shrink(failing) { ProcessModelRunner.replay($0) != nil }
        let replayed = ProcessModelRunner.replay(shortest)
        Issue.record("""
            seed \(hexadecimal(seed)): \(divergence)
            shortest reproduction (\(shortest.count) operations), failing with \(replayed.map { "\($0)" } ?? "?"):
            \(shortest.map { "  \($0)" }.joined(separator: "\n"))
            """)
    }

    @Test func aWriteIntoASharedFrameBehindTheModelsBackIsCaughtAndShrunk() {
        // A forked anonymous page, written behind the model's back in the child, as a kernel
        // that forgot copy-on-write would: the parent's byte changes too.
        let essential: [ProcessOperation] = [
            .spawn(.eager), .mmap(0, 0x1000_0000, pages: 1, protection: 3, fileOffset: nil, failAfter: nil),
            .fork(0, failAfter: nil), .scribble(1, 0x1000_0000),
        ]
        let operations: [ProcessOperation] = [
            essential[0], .mmap(0, 0x101F_E000, pages: 3, protection: 3, fileOffset: 0x1000, failAfter: nil), essential[1],
            .write(0, 0x1000_0010, count: 0x20, seed: 7, failAfter: nil), .read(0, 0x101F_F000, count: 0x1800), essential[2],
            .write(1, 0x1020_0000, count: 4, seed: 1, failAfter: nil), .munmap(0, 0x101F_E000), essential[3],
            .read(0, 0x1000_0000, count: 1), .exit(1),
        ]
        let divergence = ProcessModelRunner.replay(operations)
        expectEqual(divergence?.step, 8)
        expectEqual(divergence?.message.contains("process 0: byte 0x10000000 reads 165"), true, "\(divergence.map { "\($0)" } ?? "none")")
        expectEqual(shrink(operations) { ProcessModelRunner.replay($0) != nil }, essential)
        expectEqual(ProcessModelRunner.replay(Array(essential.dropLast())), nil)
    }

    @Test func handWrittenScenariosAgreeWithTheModel() {
        let scenarios: [[ProcessOperation]] = [
            // Three sharers, each writing in turn; the last one keeps the frame.
            [.spawn(.eager), .mmap(0, 0x1000_0000, pages: 2, protection: 3, fileOffset: nil, failAfter: nil),
             .write(0, 0x1000_0FF0, count: 0x20, seed: 1, failAfter: nil), .fork(0, failAfter: nil), .fork(1, failAfter: nil),
             .write(2, 0x1000_0000, count: 1, seed: 2, failAfter: nil), .write(0, 0x1000_0000, count: 1, seed: 3, failAfter: nil),
             .write(1, 0x1000_0000, count: 1, seed: 4, failAfter: 0), .exit(0), .read(1, 0x1000_0FF0, count: 0x20)],
            // Lazy: untouched pages stay untouched in both, then each side fills its own.
            [.spawn(.lazy), .mmap(0, 0x3FFF_E000, pages: 4, protection: 3, fileOffset: 0x1000, failAfter: nil),
             .read(0, 0x3FFF_F000, count: 8), .fork(0, failAfter: 3), .fork(0, failAfter: 4), .read(1, 0x4000_0000, count: 8),
             .write(0, 0x3FFF_FFF8, count: 0x10, seed: 9, failAfter: 0), .write(0, 0x3FFF_FFF8, count: 0x10, seed: 9, failAfter: nil),
             .munmap(1, 0x3FFF_E000), .exit(1)],
            // Running out of frames in fork at every allocation, then in a copy.
            [.spawn(.eager), .mmap(0, 0x7F_FFFF_E000, pages: 4, protection: 7, fileOffset: nil, failAfter: nil)]
                + (0...7).map { .fork(0, failAfter: $0) }
                + [.write(0, 0x7F_FFFF_E000, count: 0x4000, seed: 5, failAfter: 2), .write(0, 0x7F_FFFF_E000, count: 0x4000, seed: 5, failAfter: nil)],
        ]
        for scenario in scenarios {
            expectEqual(ProcessModelRunner.replay(scenario), nil, "\(scenario)")
        }
    }
}

extension ProcessDivergence: Equatable {
    static func == (a: ProcessDivergence, b: ProcessDivergence) -> Bool { a.description == b.description }
}
