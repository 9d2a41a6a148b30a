import ApusCore
import Foundation

/// One step of the fork model-based test. Processes are named by id: the n-th process
/// spawned or forked gets id n, on both sides, so a list of steps replays exactly; a step
/// naming a process that does not exist (after shrinking) does nothing.
enum ProcessOperation: Hashable, CustomStringConvertible {
    /// A new, empty process with the given pager.
    case spawn(PagingPolicy)
    /// `fork` of a process; with `failAfter`, the frame allocator fails after that many more
    /// successful allocations.
    case fork(Int, failAfter: Int?)
    /// `mmap` of `pages` pages at an address, anonymous or from the file at `fileOffset`.
    case mmap(Int, UInt64, pages: Int, protection: UInt64, fileOffset: UInt64?, failAfter: Int?)
    /// A kernel write (`copyOut`) of `count` bytes, byte `i` being `seed &+ i`.
    case write(Int, UInt64, count: Int, seed: UInt8, failAfter: Int?)
    /// A kernel read (`copyIn`) of `count` bytes.
    case read(Int, UInt64, count: Int)
    case munmap(Int, UInt64)
    /// The process ends: its address space is dropped.
    case exit(Int)
    /// Writes a byte straight into the frame behind a page, behind the model's back, as a
    /// kernel that forgot copy-on-write would: only for testing that the runner notices.
    case scribble(Int, UInt64)

    var description: String {
        func h(_ value: UInt64) -> String { hexadecimal(value) }
        func failing(_ failAfter: Int?) -> String { failAfter.map { " failing after \($0) frames" } ?? "" }
        switch self {
        case let .spawn(policy): return "spawn(\(policy.name))"
        case let .fork(id, failAfter): return "fork(\(id))" + failing(failAfter)
        case let .mmap(id, a, pages, p, offset, failAfter):
            return "mmap(\(id), \(h(a)), pages: \(pages), prot: \(p), " + (offset.map { "file at \(h($0))" } ?? "anonymous") + ")" + failing(failAfter)
        case let .write(id, a, count, seed, failAfter): return "write(\(id), \(h(a)), count: \(count), seed: \(seed))" + failing(failAfter)
        case let .read(id, a, count): return "read(\(id), \(h(a)), count: \(count))"
        case let .munmap(id, a): return "munmap(\(id), \(h(a)))"
        case let .exit(id): return "exit(\(id))"
        case let .scribble(id, a): return "scribble(\(id), \(h(a)))"
        }
    }
}

/// Runs ``ProcessOperation``s on real address spaces (`MmStruct<HostMemory, PagingPolicy>`,
/// eager and lazy side by side, sharing one machine's frames) and on the ``ProcessModel``,
/// and compares them after every step: answers, regions, which pages hold frames, which
/// pages share a frame and each frame's share count, every leaf's bits, the frames in use,
/// and the bytes of every resident page of every live process, read through `copyIn`;
/// every ``censusInterval`` steps also the pages and tables each page table holds.
/// (Untouched lazy pages are compared when an operation reads or writes them, not in the
/// check, which would fault them in and so change what it checks.) When the last process
/// has exited, every frame must be back in the allocator.
struct ProcessModelRunner {
    static let fileBytes: [UInt8] = (0..<0x2345).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 3) }

    /// How often (in steps) the page tables are counted in full.
    static let censusInterval = 50

    let machine = TestMachine(megabytes: 8)
    var model = ProcessModel(file: ProcessModelRunner.fileBytes)
    private var spaces: [Int: AddressSpace] = [:]
    private let file = TestFile(ProcessModelRunner.fileBytes)

    /// Runs `operations` from a fresh machine and returns the first divergence, if any.
    static func replay(_ operations: [ProcessOperation]) -> ProcessDivergence? {
        var runner = ProcessModelRunner()
        return runner.run { step, _ in step < operations.count ? operations[step] : nil }.divergence
    }

    /// Runs the operations `next` produces (given the step and the model's state) until it
    /// returns `nil` or the two sides disagree, then ends every process and checks that
    /// every frame came back. Returns what ran and the divergence.
    mutating func run(_ next: (Int, ProcessModel) -> ProcessOperation?) -> (operations: [ProcessOperation], divergence: ProcessDivergence?) {
        var operations: [ProcessOperation] = []
        var step = 0
        while let operation = next(step, model) {
            operations.append(operation)
            if let message = perform(operation) ?? compare(census: step % Self.censusInterval == 0) {
                spaces.removeAll()
                return (operations, ProcessDivergence(step: step, operation: operation, message: message))
            }
            step += 1
        }
        if let message = compare(census: true) {
            spaces.removeAll()
            return (operations, ProcessDivergence(step: step, operation: nil, message: message))
        }
        for id in model.liveIDs {
            spaces[id] = nil
            model.exit(id)
        }
        if machine.frames.freeCount != machine.baseline {
            return (operations, ProcessDivergence(step: step, operation: nil, message: "after every process exited, \(machine.baseline - machine.frames.freeCount) frames are still in use"))
        }
        return (operations, nil)
    }

    /// Performs one operation on both sides; returns a message when their answers differ.
    private mutating func perform(_ operation: ProcessOperation) -> String? {
        let frames = machine.frames
        /// Runs `body` with the allocator failing after `failAfter` frames; returns its error.
        func attempt(failAfter: Int? = nil, _ body: () throws(KernelError) -> Void) -> KernelError? {
            if let failAfter { frames.failAllocation(after: failAfter) }
            defer { frames.cancelInjectedFailure() }
            do throws(KernelError) {
                try body()
                return nil
            } catch {
                return error
            }
        }
        func differ(_ actual: KernelError?, _ expected: KernelError?) -> String? {
            actual == expected ? nil : "answered \(actual.map { "\($0)" } ?? "success"), model says \(expected.map { "\($0)" } ?? "success")"
        }
        switch operation {
        case let .spawn(policy):
            var space: AddressSpace?
            if let error = attempt({ () throws(KernelError) in space = AddressSpace(try MmStruct(frames: frames, pager: policy)) }) {
                return "spawn failed with \(error)"
            }
            spaces[model.spawn(policy)] = space
            return nil
        case let .fork(id, failAfter):
            guard let parent = spaces[id] else { return nil }
            var child: AddressSpace?
            let actual = attempt(failAfter: failAfter) { () throws(KernelError) in child = AddressSpace(try parent.memory.fork()) }
            switch model.fork(id, allocationsAllowed: failAfter) {
            case .success(let childID):
                guard let child else { return differ(actual, nil) }
                spaces[childID] = child
                return nil
            case .failure(let expected):
                return differ(actual, expected)
            }
        case let .mmap(id, address, pages, protection, fileOffset, failAfter):
            guard let space = spaces[id] else { return nil }
            let backing: Backing = fileOffset.map { .file(FileBacking(file: file, offset: $0)) } ?? .anonymous
            let actual = attempt(failAfter: failAfter) { () throws(KernelError) in
                _ = try space.memory.mmap(at: VirtualAddress(address), length: UInt64(pages) * PageGeometry.pageSize, protection: Permission(rawValue: protection), backing: backing)
            }
            return differ(actual, model.mmap(id, at: address, pageCount: pages, protection: Permission(rawValue: protection), fileOffset: fileOffset, allocationsAllowed: failAfter))
        case let .write(id, address, count, seed, failAfter):
            guard let space = spaces[id] else { return nil }
            let bytes = countingBytes(from: seed, count: count)
            let actual = attempt(failAfter: failAfter) { () throws(KernelError) in try space.memory.copyOut(bytes, to: VirtualAddress(address)) }
            return differ(actual, model.write(id, bytes, at: address, allocationsAllowed: failAfter))
        case let .read(id, address, count):
            guard let space = spaces[id] else { return nil }
            var bytes = [UInt8](repeating: 0, count: count)
            let actual = attempt { () throws(KernelError) in try space.read(address, into: &bytes) }
            switch model.read(id, address, count) {
            case .success(let expected):
                if let actual { return differ(actual, nil) }
                if !sameBytes(bytes, expected), let index = bytes.indices.first(where: { bytes[$0] != expected[$0] }) {
                    return "byte \(index) reads \(bytes[index]), model says \(expected[index])"
                }
                return nil
            case .failure(let expected):
                return differ(actual, expected)
            }
        case let .munmap(id, address):
            guard let space = spaces[id] else { return nil }
            let actual = attempt { () throws(KernelError) in try space.memory.munmap(VirtualAddress(address)) }
            return differ(actual, model.munmap(id, address))
        case let .exit(id):
            guard spaces[id] != nil else { return nil }
            spaces[id] = nil
            model.exit(id)
            return nil
        case let .scribble(id, address):
            guard let entry = try? spaces[id]?.memory.pageTable.walk(VirtualAddress(address)) else { return nil }
            machine.memory.pointer(to: entry.frame).storeBytes(of: 0xA5, as: UInt8.self)
            return nil
        }
    }

    /// Compares every live process with the model; with `census`, also counts the pages and
    /// tables of every page table (a walk of every table, too slow for every step).
    private mutating func compare(census: Bool) -> String? {
        let shareCounts = model.shareCounts()
        var physicalOf: [Int: PhysicalAddress] = [:]
        var modelOf: [PhysicalAddress: Int] = [:]
        var framesInUse = 0
        for id in model.liveIDs {
            let space = model.processes[id]!
            var regions: [ProcessModel.Region] = []
            spaces[id]!.memory.forEachRegion { regions.append(.init(start: $0.range.start.raw, end: $0.range.end.raw, permission: $0.permission)) }
            if regions != space.regions { return "process \(id): regions \(regions), model says \(space.regions)" }
            let resident = space.residentPages
            let tables = ProcessModel.tablesNeeded(for: resident)
            if census {
                let mapped = spaces[id]!.memory.pageTable.mappedPageCount()
                if mapped != resident.count { return "process \(id): \(mapped) pages hold frames, model says \(resident.count)" }
                let actualTables = spaces[id]!.memory.pageTable.tableCount()
                if actualTables != tables { return "process \(id): \(actualTables) tables, model says \(tables)" }
            }
            framesInUse += 1 + tables
            for (address, page) in space.pages.sorted(by: { $0.key < $1.key }) {
                let entry = try? spaces[id]!.memory.pageTable.walk(VirtualAddress(address))
                guard let frame = page.frame else {
                    if let entry { return "process \(id): page \(hexadecimal(address)) holds \(entry), model says it is untouched" }
                    continue
                }
                guard let entry else { return "process \(id): page \(hexadecimal(address)) holds no frame, model says it does" }
                let region = space.region(containing: address)!
                let expected = PageTableEntry.leaf(frame: entry.frame, permission: page.writable ? region.permission : region.permission.subtracting(.write))
                if entry != expected { return "process \(id): page \(hexadecimal(address)) has entry \(entry), model says \(expected)" }
                if let known = physicalOf[frame], known != entry.frame {
                    return "process \(id): page \(hexadecimal(address)) is in \(entry.frame), but the model shares it with a page in \(known)"
                }
                if let known = modelOf[entry.frame], known != frame {
                    return "process \(id): page \(hexadecimal(address)) shares \(entry.frame) with a page that the model gives another frame"
                }
                physicalOf[frame] = entry.frame
                modelOf[entry.frame] = frame
                let shares = machine.frames.shareCount(of: entry.frame)
                if shares != shareCounts[frame]! { return "process \(id): page \(hexadecimal(address)) has \(shares) sharers, model says \(shareCounts[frame]!)" }
                var bytes = [UInt8](repeating: 0, count: Int(ProcessModel.pageSize))
                do throws(KernelError) {
                    try spaces[id]!.read(address, into: &bytes)
                } catch {
                    return "process \(id): reading page \(hexadecimal(address)) failed with \(error)"
                }
                let same = bytes.withUnsafeBytes { actual in page.bytes.withUnsafeBytes { memcmp(actual.baseAddress!, $0.baseAddress!, actual.count) == 0 } }
                if !same {
                    let index = bytes.indices.first { bytes[$0] != page.bytes[$0] }!
                    return "process \(id): byte \(hexadecimal(address + UInt64(index))) reads \(bytes[index]), model says \(page.bytes[index])"
                }
            }
        }
        framesInUse += physicalOf.count
        let used = machine.baseline - machine.frames.freeCount
        if used != framesInUse { return "\(used) frames in use; the roots, tables and \(physicalOf.count) distinct frames of the processes are \(framesInUse)" }
        return nil
    }
}

/// One process's address space, in a box so that the runner can keep them in a dictionary
/// (an `MmStruct` is `~Copyable`); dropping the box drops the address space.
final class AddressSpace {
    var memory: MmStruct<HostMemory, PagingPolicy>
    init(_ memory: consuming MmStruct<HostMemory, PagingPolicy>) { self.memory = memory }

    /// Reads `bytes.count` bytes at `address` through `copyIn`.
    func read(_ address: UInt64, into bytes: inout [UInt8]) throws(KernelError) {
        let outcome = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(KernelError) in try memory.copyIn(from: VirtualAddress(address), into: buffer) }
        }
        try outcome.get()
    }
}

/// Where the implementation and the model first disagreed (`operation` is nil for the
/// final checks, before and after every process exited).
struct ProcessDivergence: Error, CustomStringConvertible {
    var step: Int
    var operation: ProcessOperation?
    var message: String
    var description: String { "step \(step), \(operation.map { "\($0)" } ?? "final check"): \(message)" }
}

/// Produces random process operations, biased toward sharing: many forks, writes and reads
/// inside the regions, regions around page-table boundaries, and injected failures.
struct ProcessOperationGenerator {
    /// The most processes alive at once.
    static let maximumProcesses = 6
    /// Region starts: inside one PT, just below a 2 MiB line, a 1 GiB line and the line
    /// between PML4 slots 0 and 1.
    static let bases: [UInt64] = [0x1000_0000, 0x101F_E000, 0x3FFF_E000, 0x7F_FFFF_E000]

    var random: SeededRandom
    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    mutating func next(model: ProcessModel) -> ProcessOperation {
        let live = model.liveIDs
        guard !live.isEmpty else { return .spawn(random.chance(50) ? .eager : .lazy) }
        if live.count < Self.maximumProcesses && random.chance(2) { return .spawn(random.chance(50) ? .eager : .lazy) }
        let id = live.randomElement(using: &random)!
        let space = model.processes[id]!
        let roll = Int.random(in: 0..<100, using: &random)
        switch roll {
        case ..<12 where live.count < Self.maximumProcesses:
            return .fork(id, failAfter: random.chance(25) ? Int.random(in: 0...10, using: &random) : nil)
        case ..<26:
            // Keep processes small, so that checking every page after every step stays cheap.
            if space.pages.count > 14, let region = space.regions.randomElement(using: &random) { return .munmap(id, region.start) }
            return mmap(id, space)
        case ..<58:
            let (address, count) = pointer(space)
            let failAfter = random.chance(12) ? (space.policy == .eager ? Int.random(in: 0...2, using: &random) : 0) : nil
            return .write(id, address, count: count, seed: UInt8.random(in: 0...255, using: &random), failAfter: failAfter)
        case ..<84:
            let (address, count) = pointer(space)
            return .read(id, address, count: count)
        case ..<93:
            if let region = space.regions.randomElement(using: &random), random.chance(90) { return .munmap(id, region.start) }
            return .munmap(id, Self.bases.randomElement(using: &random)! + 0x1000)
        default:
            return live.count > 1 || random.chance(20) ? .exit(id) : .fork(id, failAfter: nil)
        }
    }

    private mutating func mmap(_ id: Int, _ space: ProcessModel.Space) -> ProcessOperation {
        let address = Self.bases.randomElement(using: &random)! + UInt64.random(in: 0...5, using: &random) * ProcessModel.pageSize
        let pages = Int.random(in: 1...4, using: &random)
        let protection = [1, 3, 3, 3, 5, 7].randomElement(using: &random)! as UInt64
        let fileOffset = random.chance(35) ? UInt64.random(in: 0...2, using: &random) * ProcessModel.pageSize : nil
        let failAfter = space.policy == .eager && random.chance(12) ? Int.random(in: 0...6, using: &random) : nil
        return .mmap(id, address, pages: pages, protection: protection, fileOffset: fileOffset, failAfter: failAfter)
    }

    /// A user range: mostly inside a region, sometimes running past its end or outside
    /// every region.
    private mutating func pointer(_ space: ProcessModel.Space) -> (UInt64, Int) {
        let count = random.chance(70) ? Int.random(in: 1...64, using: &random) : Int.random(in: 1...0x1800, using: &random)
        guard let region = space.regions.randomElement(using: &random), random.chance(92) else {
            return (Self.bases.randomElement(using: &random)! + UInt64.random(in: 0..<0x8000, using: &random), count)
        }
        let address = region.start + UInt64.random(in: 0..<(region.end - region.start), using: &random)
        return (address, random.chance(85) ? min(count, Int(region.end - address)) : count)
    }
}
