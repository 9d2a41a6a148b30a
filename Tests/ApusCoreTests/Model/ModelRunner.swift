import ApusCore

/// One step of the model-based test. Every operation carries concrete values, so a list of
/// them replays exactly, whatever state it starts from.
enum Operation: Hashable, CustomStringConvertible {
    /// `mmap(addr, len, prot, fd, off)` as raw registers; with `failAfter`, the frame
    /// allocator fails after that many more successful allocations.
    case mmap(UInt64, UInt64, UInt64, UInt64, UInt64, failAfter: Int?)
    case munmap(UInt64)
    case accessOK(UInt64, UInt64, write: Bool)
    /// Copies `count` bytes (byte `i` is `seed &+ i`) to user memory.
    case copyOut(UInt64, count: Int, seed: UInt8)
    case copyIn(UInt64, count: Int)
    /// Takes a frame behind everyone's back: only for testing that the runner notices.
    case leakFrame

    var description: String {
        func h(_ value: UInt64) -> String { hexadecimal(value) }
        switch self {
        case let .mmap(a, l, p, f, o, failAfter):
            return "mmap(\(h(a)), \(h(l)), \(p), \(Int32(truncatingIfNeeded: f)), \(h(o)))" + (failAfter.map { " failing after \($0) frames" } ?? "")
        case let .munmap(a): return "munmap(\(h(a)))"
        case let .accessOK(a, l, write): return "accessOK(\(h(a)), \(h(l)), write: \(write))"
        case let .copyOut(a, count, seed): return "copyOut(\(h(a)), count: \(count), seed: \(seed))"
        case let .copyIn(a, count): return "copyIn(\(h(a)), count: \(count))"
        case .leakFrame: return "leakFrame"
        }
    }
}

/// Where the implementation and the model first disagreed.
struct Divergence: Error, CustomStringConvertible {
    var step: Int
    var operation: Operation
    var message: String
    var description: String { "step \(step), \(operation): \(message)" }
}

/// Runs operations on a real `MmStruct` (host memory, the eager or the lazy pager) and on the
/// ``ReferenceModel`` side by side, and compares them after each step. The model describes
/// eager memory: with the lazy pager every answer must still be the same (return values,
/// bytes, `accessOK`), a page may be absent until it is touched, and the frames in use may
/// only be fewer.
struct ModelRunner {
    /// The descriptors of the run: regular files at 3 and 4, an empty file at 6, stdio at 0–2
    /// and a pipe at 5 (not mappable), nothing else open.
    static let fileBytes: [Int32: [UInt8]?] = [
        0: nil, 1: nil, 2: nil, 5: nil,
        3: (0..<0x2345).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) },
        4: (0..<0x3000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 5) },
        6: [],
    ]

    /// Candidate address clusters, each at a boundary of the page-table tree or of the
    /// layout: the first user pages, a 2 MiB (PT) line, a 1 GiB (PD) line, the 512 GiB
    /// line between PML4 slots 0 and 1, the kernel window's start, and the last user pages.
    static let clusters: [UInt64] = [0x0, 0x1F_0000, 0x3FFF_0000, 0x7F_FFFF_0000, 0x4FFF_FFFF_0000, 0x7FFF_FFFE_0000]
    static let clusterPages: UInt64 = 32
    /// Addresses no mapping may ever include.
    static let forbidden: [UInt64] = [0xFFFF_8000_0000_0000, 0xFFFF_FFFF_FFFF_F000, 0x0000_8000_0000_0000, 0x5000_0000_0000, 0x507F_FFFF_F000]

    /// How often (in steps) every page, mapped or not, is compared in full.
    var fullCheckInterval = 1000
    /// The pager of the address space under test.
    var policy = PagingPolicy.eager

    let machine = TestMachine(megabytes: 8)
    var model = ReferenceModel(files: ModelRunner.fileBytes)
    private var leaked: [PhysicalAddress] = []

    /// Runs `operations` from a fresh state and returns the first divergence, if any.
    static func replay(_ operations: [Operation], fullCheckInterval: Int = 1000, policy: PagingPolicy = .eager) -> Divergence? {
        var runner = ModelRunner()
        runner.fullCheckInterval = fullCheckInterval
        runner.policy = policy
        return runner.run { step, _ in step < operations.count ? operations[step] : nil }.divergence
    }

    /// Runs the operations `next` produces (given the step and the model's state) until it
    /// returns `nil` or the two sides disagree; returns what ran and the divergence.
    mutating func run(_ next: (Int, ReferenceModel) -> Operation?) -> (operations: [Operation], divergence: Divergence?) {
        var operations: [Operation] = []
        defer { for frame in leaked { machine.frames.free(frame) } }
        do {
            var mm = try MmStruct(frames: machine.frames, pager: policy)
            let files = TestFileTable(files: Self.fileBytes.compactMapValues { $0.map(TestFile.init) })
            var step = 0
            while let operation = next(step, model) {
                operations.append(operation)
                if let message = perform(operation, on: &mm, files: files) ?? compare(mm, after: operation, full: (step + 1) % fullCheckInterval == 0) {
                    return (operations, Divergence(step: step, operation: operation, message: message))
                }
                step += 1
            }
            if let message = compare(mm, after: .munmap(0), full: true) {
                return (operations, Divergence(step: step, operation: .munmap(0), message: "final check: " + message))
            }
        } catch {
            return (operations, Divergence(step: 0, operation: .leakFrame, message: "setup failed: \(error)"))
        }
        return (operations, nil)
    }

    /// Performs one operation on both sides; returns a message when their answers differ.
    private mutating func perform(_ operation: Operation, on mm: inout MmStruct<HostMemory, PagingPolicy>, files: TestFileTable) -> String? {
        switch operation {
        case let .mmap(a, l, p, f, o, failAfter):
            if let failAfter { machine.frames.failAllocation(after: failAfter) }
            let actual = KeOSSyscalls.mmap(SyscallArguments(a, l, p, f, o), mm: &mm, files: files)
            machine.frames.cancelInjectedFailure()
            let expected = model.mmap(a, l, p, f, o, allocationsAllowed: failAfter)
            return actual == expected ? nil : "returned \(actual), model says \(expected)"
        case let .munmap(a):
            let actual = KeOSSyscalls.munmap(SyscallArguments(a), mm: &mm)
            let expected = model.munmap(a)
            return actual == expected ? nil : "returned \(actual), model says \(expected)"
        case let .accessOK(a, l, write):
            let actual = mm.accessOK(VirtualAddress(a), length: l, write: write)
            let expected = model.accessOK(a, l, write: write)
            return actual == expected ? nil : "returned \(actual), model says \(expected)"
        case let .copyOut(a, count, seed):
            let bytes = countingBytes(from: seed, count: count)
            let ok = model.accessOK(a, UInt64(count), write: true)
            do {
                try writeUser(&mm, bytes, at: a)
                guard ok else { return "succeeded, model says BadAddress" }
                model.write(bytes, at: a)
            } catch {
                guard !ok else { return "failed with \(error), model says it succeeds" }
                guard error as? KernelError == .badAddress else { return "failed with \(error), model says BadAddress" }
            }
            return nil
        case let .copyIn(a, count):
            let ok = model.accessOK(a, UInt64(count), write: false)
            do {
                let bytes = try userBytes(&mm, at: a, count: count)
                guard ok else { return "succeeded, model says BadAddress" }
                let expected = model.read(a, count)
                if !sameBytes(bytes, expected) {
                    let index = zip(bytes, expected).enumerated().first { $0.element.0 != $0.element.1 }!.offset
                    return "byte \(index) reads \(bytes[index]), model says \(expected[index])"
                }
            } catch {
                guard !ok else { return "failed with \(error), model says it succeeds" }
                guard error as? KernelError == .badAddress else { return "failed with \(error), model says BadAddress" }
            }
            return nil
        case .leakFrame:
            if let frame = machine.frames.allocate() { leaked.append(frame) }
            return nil
        }
    }

    /// Compares regions, frames and page-table entries; in a full check also every page of
    /// every cluster and the bytes of every mapped page.
    private func compare(_ mm: borrowing MmStruct<HostMemory, PagingPolicy>, after operation: Operation, full: Bool) -> String? {
        var actualRegions: [ReferenceModel.Region] = []
        mm.forEachRegion { region in
            actualRegions.append(.init(start: region.range.start.raw, end: region.range.end.raw, permission: region.permission))
        }
        if actualRegions != model.regions {
            return "regions \(actualRegions), model says \(model.regions)"
        }
        switch policy {
        case .eager where machine.frames.usedCount != model.framesInUse:
            return "\(machine.frames.usedCount) frames in use, model says \(model.framesInUse)"
        case .lazy where machine.frames.usedCount > model.framesInUse:
            return "\(machine.frames.usedCount) frames in use, more than the \(model.framesInUse) of eager memory"
        default: break
        }
        var pagesToCheck: [UInt64] = []
        switch operation {
        case let .mmap(a, l, _, _, _, _) where a % ReferenceModel.pageSize == 0 && l < 64 * ReferenceModel.pageSize:
            pagesToCheck = (0...(l / ReferenceModel.pageSize)).map { a &+ $0 * ReferenceModel.pageSize }
        case let .munmap(a) where a % ReferenceModel.pageSize == 0:
            pagesToCheck = (0..<8).map { a &+ $0 * ReferenceModel.pageSize }
        default: break
        }
        if full {
            pagesToCheck = Self.clusters.flatMap { base in (0..<Self.clusterPages).map { base + $0 * ReferenceModel.pageSize } }
        }
        var frames: Set<PhysicalAddress> = []
        for page in pagesToCheck {
            let entry = try? mm.pageTable.walk(VirtualAddress(page))
            guard let region = model.region(containing: page) else {
                if let entry, entry.flags.contains(.user) { return "page \(hexadecimal(page)) is mapped (\(entry)), model says it is not" }
                continue
            }
            guard let entry else {
                if policy == .lazy { continue } // not touched yet
                return "page \(hexadecimal(page)) is not mapped, model says \(region)"
            }
            let expected = PageTableEntry.leaf(frame: entry.frame, permission: region.permission)
            if entry != expected { return "page \(hexadecimal(page)) has entry \(hexadecimal(entry.raw)), expected \(hexadecimal(expected.raw))" }
            if !frames.insert(entry.frame).inserted { return "frame \(entry.frame) is mapped twice" }
            if full {
                let bytes = Array(UnsafeRawBufferPointer(machine.memory.page(at: entry.frame)))
                if !sameBytes(bytes, model.pages[page]!) { return "page \(hexadecimal(page)) holds other bytes than the model" }
            }
        }
        return nil
    }
}

/// Produces random operations biased toward the interesting: boundaries, existing regions,
/// bad pointers and failures.
struct OperationGenerator {
    var random: SeededRandom
    /// Whether `mmap` operations may make the frame allocator fail (eager memory only: lazy
    /// `mmap` allocates nothing that could fail).
    var injectsFailures: Bool

    init(seed: UInt64, injectsFailures: Bool = true) {
        random = SeededRandom(seed: seed)
        self.injectsFailures = injectsFailures
    }

    mutating func next(model: ReferenceModel) -> Operation {
        let roll = Int.random(in: 0..<100, using: &random)
        switch roll {
        case ..<30: return mmap(model)
        case ..<48: return .munmap(unmapTarget(model))
        case ..<66: return .accessOK(pointer(model), length(), write: random.chance(50))
        case ..<83: return .copyOut(pointer(model), count: Int(length(upTo: 0x2100)), seed: UInt8.random(in: 0...255, using: &random))
        default: return .copyIn(pointer(model), count: Int(length(upTo: 0x2100)))
        }
    }

    private mutating func clusterPage() -> UInt64 {
        let base = ModelRunner.clusters.randomElement(using: &random)!
        return base + UInt64.random(in: 0..<ModelRunner.clusterPages, using: &random) * ReferenceModel.pageSize
    }

    private mutating func mmap(_ model: ReferenceModel) -> Operation {
        var address = clusterPage()
        if random.chance(6) { address = random.chance(50) ? 0 : ModelRunner.forbidden.randomElement(using: &random)! }
        if random.chance(4) { address += UInt64.random(in: 1..<ReferenceModel.pageSize, using: &random) }
        // Keep the state small enough for cheap full checks: far fewer new mappings when
        // many pages are mapped already.
        if model.pages.count > 120 && random.chance(80) { address = 0 }
        var length = UInt64.random(in: 1...6, using: &random) * ReferenceModel.pageSize
        if random.chance(15) { length -= UInt64.random(in: 0..<ReferenceModel.pageSize, using: &random) }
        if random.chance(3) { length = 0 }
        if random.chance(3) { length = [UInt64.max, UInt64.max - 0xFFF, 1 << 47, 0xFFFF_8000_0000_0000].randomElement(using: &random)! }
        var protection = [1, 3, 5, 7].randomElement(using: &random)! as UInt64
        if random.chance(4) { protection = [0, 2, 4, 6, 8, 9, 0x11].randomElement(using: &random)! }
        var descriptor = UInt64.max
        let fileRoll = Int.random(in: 0..<100, using: &random)
        if fileRoll < 8 { descriptor = 0xFFFF_FFFF }
        else if fileRoll < 30 { descriptor = [3, 4].randomElement(using: &random)! }
        else if fileRoll < 36 { descriptor = [0, 1, 2, 5, 6, 9, 1024, 0x7FFF_FFFF].randomElement(using: &random)! }
        var offset = UInt64.random(in: 0...3, using: &random) * ReferenceModel.pageSize
        if random.chance(3) { offset = [0x10, 0xFFF, UInt64.max, 0x8000_0000_0000_0000].randomElement(using: &random)! }
        let failAfter = random.chance(10) && injectsFailures ? Int.random(in: 0...12, using: &random) : nil
        return .mmap(address, length, protection, descriptor, offset, failAfter: failAfter)
    }

    private mutating func unmapTarget(_ model: ReferenceModel) -> UInt64 {
        if !model.regions.isEmpty && random.chance(70) {
            let region = model.regions.randomElement(using: &random)!
            return random.chance(85) ? region.start : region.start + ReferenceModel.pageSize * UInt64.random(in: 0...2, using: &random) + (random.chance(30) ? 8 : 0)
        }
        return random.chance(70) ? clusterPage() : ModelRunner.forbidden.randomElement(using: &random)!
    }

    /// A user pointer: mostly near a region (just before, inside, just past), sometimes a
    /// cluster page, NULL or a forbidden address.
    private mutating func pointer(_ model: ReferenceModel) -> UInt64 {
        if !model.regions.isEmpty && random.chance(75) {
            let region = model.regions.randomElement(using: &random)!
            let span = region.end - region.start
            return region.start &- 0x100 &+ UInt64.random(in: 0...(span + 0x200), using: &random)
        }
        if random.chance(10) { return random.chance(50) ? UInt64.random(in: 0..<16, using: &random) : ModelRunner.forbidden.randomElement(using: &random)! }
        return clusterPage() + UInt64.random(in: 0..<ReferenceModel.pageSize, using: &random)
    }

    private mutating func length(upTo limit: UInt64 = 0x6000) -> UInt64 {
        if limit > 0x2100 && random.chance(3) { return [UInt64.max, UInt64.max - 0x10, 1 << 47, 0x1_0000_0000].randomElement(using: &random)! }
        if random.chance(8) { return 0 }
        return UInt64.random(in: 1...limit, using: &random)
    }
}

/// Shortens a failing operation list: drops the steps after the failure, then chunks of
/// steps (halving the chunk size, down to single steps) while the list still fails
/// (Zeller's delta debugging, simplified).
func shrink<Element>(_ elements: [Element], stillFails: ([Element]) -> Bool) -> [Element] {
    var current = elements
    var chunk = max(current.count / 2, 1)
    while true {
        var index = 0
        var removedAny = false
        while index < current.count {
            var candidate = current
            candidate.removeSubrange(index..<min(index + chunk, current.count))
            if stillFails(candidate) {
                current = candidate
                removedAny = true
            } else {
                index += chunk
            }
        }
        if chunk == 1 && !removedAny { return current }
        if !removedAny { chunk = max(chunk / 2, 1) }
    }
}
