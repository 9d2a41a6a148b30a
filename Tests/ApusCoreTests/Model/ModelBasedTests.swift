import ApusCore
import Testing

/// The model-based test: seeded random operations (four runs of 6,000; of 50,000 in the long
/// tier, ``TestTier``) on the real `MmStruct` and on the plain ``ReferenceModel``, compared
/// after every step. A failure reports the seed and the shortest operation list that still
/// fails.
@Suite("Model-based test of process memory")
struct ModelBasedTests {
    static let operationsPerRun = TestTier.count(short: 6_000, long: 50_000)

    @Test(arguments: [0xA9E5_0001 as UInt64, 0xA9E5_0002, 0xA9E5_0003, 0xA9E5_0004])
    func implementationAgreesWithTheModel(seed: UInt64) {
        var generator = OperationGenerator(seed: seed)
        var runner = ModelRunner()
        let (operations, divergence) = runner.run { step, model in
            step < Self.operationsPerRun ? generator.next(model: model) : nil
        }
        guard let divergence else { return }
        let failing = Array(operations.prefix(divergence.step + 1))
        let shortest = shrink(failing) { ModelRunner.replay($0, fullCheckInterval: 1) != nil }
        let replayed = ModelRunner.replay(shortest, fullCheckInterval: 1)
        Issue.record("""
            seed \(hexadecimal(seed)): \(divergence)
            shortest reproduction (\(shortest.count) operations), failing with \(replayed.map { "\($0)" } ?? "?"):
            \(shortest.map { "  \($0)" }.joined(separator: "\n"))
            """)
    }

    /// The same operations (no injected failures: lazy `mmap` allocates nothing that could
    /// fail) on eager and on lazy memory, each against the model after every step: so every
    /// answer is the same with either pager, and lazy memory never holds more frames.
    @Test(arguments: [0xA9E5_1001 as UInt64, 0xA9E5_1002])
    func eagerAndLazyMemoryGiveTheSameAnswers(seed: UInt64) {
        var generator = OperationGenerator(seed: seed, injectsFailures: false)
        var operations: [Operation] = []
        var model = ReferenceModel(files: ModelRunner.fileBytes)
        for _ in 0..<Self.operationsPerRun / 2 {
            let operation = generator.next(model: model)
            operations.append(operation)
            if case let .mmap(a, l, p, f, o, _) = operation { _ = model.mmap(a, l, p, f, o, allocationsAllowed: nil) }
            if case let .munmap(a) = operation { _ = model.munmap(a) }
            if case let .copyOut(a, count, seed) = operation, model.accessOK(a, UInt64(count), write: true) {
                model.write(countingBytes(from: seed, count: count), at: a)
            }
        }
        for policy in [PagingPolicy.eager, .lazy] {
            if let divergence = ModelRunner.replay(operations, policy: policy) {
                let shortest = shrink(Array(operations.prefix(divergence.step + 1))) { ModelRunner.replay($0, fullCheckInterval: 1, policy: policy) != nil }
                Issue.record("""
                    \(policy.name) memory, seed \(hexadecimal(seed)): \(divergence)
                    shortest reproduction (\(shortest.count) operations):
                    \(shortest.map { "  \($0)" }.joined(separator: "\n"))
                    """)
            }
        }
    }

    @Test func aLeakedFrameIsCaughtAndShrunkToTheOneStepThatLeaks() {
        var generator = OperationGenerator(seed: 7)
        var operations: [Operation] = []
        var model = ReferenceModel(files: ModelRunner.fileBytes)
        for _ in 0..<300 {
            let operation = generator.next(model: model)
            operations.append(operation)
            if case let .mmap(a, l, p, f, o, failAfter) = operation { _ = model.mmap(a, l, p, f, o, allocationsAllowed: failAfter) }
            if case let .munmap(a) = operation { _ = model.munmap(a) }
        }
        operations.insert(.leakFrame, at: 150)
        let divergence = ModelRunner.replay(operations)
        expectEqual(divergence?.step, 150)
        expectEqual(divergence?.message.contains("frames in use"), true)
        let shortest = shrink(operations) { ModelRunner.replay($0) != nil }
        expectEqual(shortest, [.leakFrame])
    }

    @Test func shrinkingKeepsOnlyWhatTheFailureNeeds() {
        // Fails when it holds 3 followed later by 7.
        let fails: ([Int]) -> Bool = { list in
            guard let three = list.firstIndex(of: 3) else { return false }
            return list[three...].contains(7)
        }
        expectEqual(shrink(Array(0..<100), stillFails: fails), [3, 7])
        expectEqual(shrink([3, 1, 3, 9, 7, 7], stillFails: fails), [3, 7])
    }

    @Test func handWrittenScenariosAgreeWithTheModel() {
        let scenarios: [[Operation]] = [
            [.mmap(0x1000, 0x2000, 3, .max, 0, failAfter: nil), .copyOut(0x1FFE, count: 4, seed: 1), .copyIn(0x1FFC, count: 8), .munmap(0x1000), .copyIn(0x1000, count: 1)],
            [.mmap(0x7FFF_FFFF_F000, 0x1000, 1, 3, 0x1000, failAfter: nil), .copyIn(0x7FFF_FFFF_F000, count: 0x1000), .accessOK(0x7FFF_FFFF_FFFF, 1, write: false)],
            [.mmap(0x1F_E000, 0x4000, 7, 4, 0x2000, failAfter: 4), .mmap(0x1F_E000, 0x4000, 7, 4, 0x2000, failAfter: 6), .accessOK(0x1F_E000, 0x4000, write: true)],
        ]
        for scenario in scenarios {
            expectEqual(ModelRunner.replay(scenario, fullCheckInterval: 1), nil)
        }
    }
}

extension Divergence: Equatable {
    static func == (a: Divergence, b: Divergence) -> Bool { a.description == b.description }
}
