import ApusCore
import Testing

/// The file system's model-based test: seeded random create, mkdir, unlink, open, write,
/// seek, read, readdir, stat and chdir (paths absolute and relative, with `.`, `..` and
/// trailing `/`), with unmount and mount between steps, run on the real file system and on
/// ``FileSystemModel`` side by side. After every step the results, the free block count
/// and the whole tree (contents and listings) must agree, and the disk must pass the
/// checker after every remount. A failure reports the seed and the shortest list of steps
/// that still fails.
@Suite("Model-based test of the file system")
struct FileSystemModelTests {
    static let stepsPerRun = TestTier.count(short: 400, long: 2_000)

    struct Runner {
        let disk: DiskMachine
        var fileSystem: FileSystem<HostMemory>
        var model = FileSystemModel()
        var cwd: UInt32 = 1
        var descriptors: [Int: (inode: UInt32, position: Int)] = [:]

        init() throws {
            disk = try DiskMachine(pageCacheCapacity: 64)
            fileSystem = try disk.mount()
            fileSystem.retain(cwd)
        }

        /// Runs `step` on both sides; returns a description of a disagreement.
        mutating func run(_ step: FileSystemStep) -> String? {
            let expected = modelResult(step)
            let actual = realResult(step)
            guard let expected else { return nil }
            if expected != actual { return "model \(expected), file system \(actual)" }
            let free = try? fileSystem.freeBlockCount()
            let modelFree = fileSystem.geometry.dataBlockCount - UInt64(model.usedBlocks)
            if free != modelFree { return "free blocks \(free.map(String.init) ?? "?"), model \(modelFree)" }
            guard let tree = try? TreeModel.read(fileSystem) else { return "the tree cannot be read" }
            if tree != model.tree { return "tree \(tree), model \(model.tree)" }
            let store = fileSystem.store
            if store.cache.count > store.cache.capacity || store.pages.count > store.pages.capacity {
                return "a cache outgrew its bound: \(store.cache.count) blocks, \(store.pages.count) pages"
            }
            if case .remount = step, !disk.problems.isEmpty { return "fsck: \(disk.problems)" }
            return nil
        }

        func lowestFreeDescriptor(_ used: [Int]) -> Int { (0...).first { !used.contains($0) }! }

        /// The model's answer, or `nil` when the step cannot run (a descriptor not open, or
        /// the removal of the current directory, which the model does not follow).
        mutating func modelResult(_ step: FileSystemStep) -> StepResult? {
            func resolved(_ p: String) -> (parent: String, name: String?, target: String?, trailing: Bool)? {
                if case .success(let r) = model.resolve(p) { return r }
                return nil
            }
            func failure(_ p: String) -> KernelError? {
                if case .failure(let e) = model.resolve(p) { return e }
                return nil
            }
            switch step {
            case .create(let p), .mkdir(let p):
                if let e = failure(p) { return .error(e) }
                let r = resolved(p)!
                guard r.target == nil, let name = r.name else { return .error(.fileExist) }
                guard model.nodes[r.parent] != nil else { return .error(.noSuchEntry) }
                let child = FileSystemModel.join(r.parent, name)
                if case .create = step {
                    if r.trailing { return .error(.isDirectory) }
                    model.nodes[child] = .file(FileSystemModel.File())
                } else {
                    model.nodes[child] = .directory(slots: [])
                }
                model.addEntry(name, to: r.parent)
                return .ok
            case .unlink(let p):
                if let e = failure(p) { return .error(e) }
                let r = resolved(p)!
                guard let name = r.name, name != ".", name != ".." else { return .error(.busy) }
                guard let target = r.target else { return .error(.noSuchEntry) }
                if target == model.cwd { return nil }
                if r.trailing, !model.isDirectory(target) { return .error(.notDirectory) }
                if case .directory(let slots) = model.nodes[target], slots.contains(where: { $0 != nil }) { return .error(.directoryNotEmpty) }
                model.removeEntry(name, from: r.parent)
                model.removeDirectory(target)
                model.nodes[target] = nil
                return .ok
            case .stat(let p), .chdir(let p), .readdir(let p), .open(let p):
                if let e = failure(p) { return .error(e) }
                let r = resolved(p)!
                guard let target = r.target else { return .error(.noSuchEntry) }
                let isDirectory = model.isDirectory(target)
                if r.trailing, !isDirectory { return .error(.notDirectory) }
                switch (step, model.nodes[target]!) {
                case (.stat, .directory(let slots)): return .status(.directory, UInt64((slots.count + 17) / 16 * 4096))
                case (.stat, .file(let file)): return .status(.regular, UInt64(file.bytes.count))
                case (.chdir, .directory):
                    model.cwd = target
                    return .ok
                case (.chdir, .file), (.readdir, .file): return .error(.notDirectory)
                case (.readdir, .directory(let slots)): return .names([".", ".."] + slots.compactMap { $0 })
                case (.open, let node):
                    let fd = lowestFreeDescriptor(Array(model.descriptors.keys))
                    if case .file(let file) = node {
                        model.descriptors[fd] = FileSystemModel.Descriptor(file: file)
                    } else {
                        model.descriptors[fd] = FileSystemModel.Descriptor(directory: target)
                    }
                    return .value(fd)
                default: return nil
                }
            case .close(let fd):
                guard model.descriptors.removeValue(forKey: fd) != nil else { return nil }
                return .ok
            case let .write(fd, count, salt):
                guard let descriptor = model.descriptors[fd] else { return nil }
                guard let file = descriptor.file else { return .error(.isDirectory) }
                let position = descriptor.position
                if file.bytes.count < position + count { file.bytes += [UInt8](repeating: 0, count: position + count - file.bytes.count) }
                file.bytes.replaceSubrange(position..<position + count, with: pattern(count, salt: salt))
                if count > 0 { for page in position / 4096...(position + count - 1) / 4096 { file.pages.insert(page) } }
                model.descriptors[fd]!.position += count
                return .value(count)
            case let .seek(fd, to):
                guard model.descriptors[fd] != nil else { return nil }
                model.descriptors[fd]!.position = to
                return .ok
            case let .read(fd, count):
                guard let descriptor = model.descriptors[fd] else { return nil }
                guard let file = descriptor.file else { return .error(.isDirectory) }
                let start = min(descriptor.position, file.bytes.count)
                let bytes = Array(file.bytes[start..<min(file.bytes.count, start + count)])
                model.descriptors[fd]!.position += bytes.count
                return .bytes(bytes)
            case .remount:
                model.descriptors.removeAll()
                return .ok
            }
        }

        mutating func realResult(_ step: FileSystemStep) -> StepResult {
            let fs = fileSystem
            do throws(KernelError) {
                switch step {
                case .create(let p): try fs.create(path(p), from: cwd)
                case .mkdir(let p): try fs.makeDirectory(path(p), from: cwd)
                case .unlink(let p): try fs.unlink(path(p), from: cwd)
                case .stat(let p):
                    let status = try fs.status(path(p), from: cwd)
                    return .status(status.type, status.size)
                case .chdir(let p):
                    let directory = try fs.directory(path(p), from: cwd)
                    fs.retain(directory)
                    fs.release(cwd)
                    cwd = directory
                case .readdir(let p):
                    let directory = try fs.existingInode(path(p), from: cwd)
                    var names: [String] = []
                    var cursor: UInt64 = 0
                    while true {
                        let batch = try fs.readDirectory(directory.number, from: cursor, count: 5)
                        if batch.entries.isEmpty { break }
                        names += batch.entries.map { String(decoding: $0.name, as: UTF8.self) }
                        cursor = batch.next
                    }
                    return .names(names)
                case .open(let p):
                    let opened = try fs.open(path(p), from: cwd)
                    let fd = lowestFreeDescriptor(Array(descriptors.keys))
                    descriptors[fd] = (opened.inode, 0)
                    return .value(fd)
                case .close(let fd):
                    guard let descriptor = descriptors.removeValue(forKey: fd) else { return .error(.badFileDescriptor) }
                    fs.release(descriptor.inode)
                case let .write(fd, count, salt):
                    guard let descriptor = descriptors[fd] else { return .error(.badFileDescriptor) }
                    let written = try fs.write(descriptor.inode, at: UInt64(descriptor.position), pattern(count, salt: salt))
                    descriptors[fd]!.position += written
                    return .value(written)
                case let .seek(fd, to):
                    guard descriptors[fd] != nil else { return .error(.badFileDescriptor) }
                    descriptors[fd]!.position = to
                case let .read(fd, count):
                    guard let descriptor = descriptors[fd] else { return .error(.badFileDescriptor) }
                    let bytes = try fs.read(descriptor.inode, at: UInt64(descriptor.position), count: count)
                    descriptors[fd]!.position += bytes.count
                    return .bytes(bytes)
                case .remount:
                    for descriptor in descriptors.values { fs.release(descriptor.inode) }
                    descriptors.removeAll()
                    fs.release(cwd)
                    try fs.unmount()
                    guard let again = try? FileSystem.mount(disk.device, frames: disk.machine.frames, options: disk.options) else { throw .ioError }
                    fileSystem = again
                    again.retain(cwd)
                }
                return .ok
            } catch {
                return .error(error)
            }
        }
    }

    /// Random steps over a small set of names, so that they meet each other often.
    struct Generator {
        var random: SeededRandom
        static let names = ["a", "b", "c", "dd"]

        mutating func path(_ model: FileSystemModel) -> String {
            var components: [String] = []
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let roll = Int.random(in: 0..<10, using: &random)
                components.append(roll == 0 ? "." : roll == 1 ? ".." : Self.names.randomElement(using: &random)!)
            }
            var text = components.joined(separator: random.chance(10) ? "//" : "/")
            if random.chance(50) { text = "/" + text }
            if random.chance(8) { text += "/" }
            return text
        }

        mutating func next(_ model: FileSystemModel) -> FileSystemStep {
            let fds = Array(model.descriptors.keys)
            let roll = Int.random(in: 0..<100, using: &random)
            switch roll {
            case 0..<12: return .create(path(model))
            case 12..<22: return .mkdir(path(model))
            case 22..<32: return .unlink(path(model))
            case 32..<38: return .stat(path(model))
            case 38..<42: return .chdir(path(model))
            case 42..<46: return .readdir(path(model))
            case 46..<56: return .open(path(model))
            case 56..<60 where !fds.isEmpty: return .close(fds.randomElement(using: &random)!)
            case 60..<76 where !fds.isEmpty:
                return .write(fds.randomElement(using: &random)!, count: Int.random(in: 0...9_000, using: &random), salt: Int.random(in: 0..<256, using: &random))
            case 76..<84 where !fds.isEmpty: return .seek(fds.randomElement(using: &random)!, to: Int.random(in: 0...70_000, using: &random))
            case 84..<96 where !fds.isEmpty: return .read(fds.randomElement(using: &random)!, count: Int.random(in: 0...10_000, using: &random))
            case 96..<100: return .remount
            default: return .stat(path(model))
            }
        }
    }

    /// Runs `steps` from a fresh disk; returns the failing step's index and message.
    static func replay(_ steps: [FileSystemStep]) -> (Int, String)? {
        guard var runner = try? Runner() else { return (0, "no disk") }
        for (index, step) in steps.enumerated() {
            if let message = runner.run(step) { return (index, message) }
        }
        return nil
    }

    @Test(arguments: [0xF5_0001 as UInt64, 0xF5_0002, 0xF5_0003, 0xF5_0004])
    func fileSystemAgreesWithTheModel(seed: UInt64) throws {
        var generator = Generator(random: SeededRandom(seed: seed))
        var runner = try Runner()
        var steps: [FileSystemStep] = []
        for _ in 0..<Self.stepsPerRun {
            let step = generator.next(runner.model)
            steps.append(step)
            guard let message = runner.run(step) else { continue }
            let shortest = shrink(steps) { Self.replay($0) != nil }
            let replayed = Self.replay(shortest)
            Issue.record("""
                seed \(seed), step \(steps.count - 1) (\(step)): \(message)
                shortest reproduction (\(shortest.count) steps), failing at \(replayed.map { "step \($0.0): \($0.1)" } ?? "?"):
                \(shortest.map { "  \($0)" }.joined(separator: "\n"))
                """)
            return
        }
        _ = runner.realResult(.remount)
        expectEqual(runner.disk.problems, [])
    }
}
