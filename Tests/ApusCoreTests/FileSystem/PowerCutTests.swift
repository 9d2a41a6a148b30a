import ApusCore
import Foundation
import Testing

/// The durability promise of ABI.md §6, tested by cutting the power after every block write
/// of a workload: after write n, for every n from 1 to the workload's last write, the disk
/// is remounted and must be consistent (the checker finds nothing), hold the tree as it was
/// after some operation (every operation wholly there or wholly absent, none lost that an
/// `fsync` made durable), every fsynced file with its bytes, and a clean journal.
///
/// The same runs with a torn write in place of the cut (half the block new, then the power
/// goes), with the unflushed writes lost at random (a volatile cache that wrote back only
/// some of them), and with one failed write (IOError to the call that meets it; the file
/// system goes on and must end consistent with every operation that succeeded), and with
/// one failed read.
///
/// `APUS_LONG_TESTS=1` runs a workload four times longer.
@Suite("Power cuts at every write")
struct PowerCutTests {
    enum Step: CustomStringConvertible {
        case mkdir(String)
        case create(String)
        case write(String, offset: Int, count: Int, salt: Int)
        case fsync(String)
        case unlink(String)
        /// Opens the file, then unlinks it: it lives on, unnamed, until `.release`.
        case unlinkWhileOpen(String)
        case release(String)
        /// Reads the whole file (the reads a failed read can hit).
        case read(String)
        case rename(String, String)
        /// A second name for a file (the workload writes to neither name after it).
        case link(String, String)

        var description: String {
            switch self {
            case .mkdir(let p): "mkdir \(p)"
            case .create(let p): "create \(p)"
            case let .write(p, offset, count, _): "write \(p) @\(offset) +\(count)"
            case .fsync(let p): "fsync \(p)"
            case .unlink(let p): "unlink \(p)"
            case .unlinkWhileOpen(let p): "open+unlink \(p)"
            case .release(let p): "close \(p)"
            case .read(let p): "read \(p)"
            case let .rename(p, q): "rename \(p) \(q)"
            case let .link(p, q): "link \(p) \(q)"
            }
        }
    }

    /// What the disk holds before the workload: a file and a directory made by mkfs.
    static let initialTree: [FileSystemImage.Item] = [.file(path: path("/pre/x"), contents: pattern(50_000, salt: 9)), .directory(path: path("/pre/d"))]
    static var initialModel: TreeModel {
        TreeModel(nodes: ["/pre": .directory, "/pre/d": .directory, "/pre/x": .file(pattern(50_000, salt: 9))])
    }

    static var workload: [Step] {
        var steps: [Step] = [
            .read("/pre/x"), .unlink("/pre/d"), .mkdir("/a"), .create("/a/one"), .write("/a/one", offset: 0, count: 6_000, salt: 1), .fsync("/a/one"),
            .mkdir("/a/b"), .create("/a/b/two"), .write("/a/b/two", offset: 0, count: 20_000, salt: 2),
            .write("/a/b/two", offset: 20_000, count: 40_000, salt: 3), .create("/three"),
            .write("/three", offset: 8_192, count: 100, salt: 4), .unlinkWhileOpen("/a/one"), .fsync("/a/b/two"),
            .unlink("/three"), .mkdir("/c"), .create("/c/four"), .write("/c/four", offset: 0, count: 3_000, salt: 5),
            .release("/a/one"), .fsync("/c/four"), .write("/c/four", offset: 3_000, count: 5_000, salt: 6), .mkdir("/c/d"),
            // Names given and moved, each made durable on its own, so that cuts fall inside each.
            .link("/a/b/two", "/c/two-again"), .fsync("/c/two-again"), .rename("/c/four", "/a/four"), .fsync("/a/four"),
            .rename("/a/b", "/c/d/b"), .fsync("/c/d/b/two"), .create("/r"), .rename("/a/four", "/r"), .fsync("/r"),
            .mkdir("/e"), .rename("/c/d", "/e"), .fsync("/e/b/two"), .rename("/c/two-again", "/e/b/two"),
            .unlink("/pre/x"),
        ]
        if TestTier.isLong {
            for round in 0..<3 {
                let dir = "/r\(round)"
                steps += [.mkdir(dir), .create(dir + "/x"), .write(dir + "/x", offset: 0, count: 70_000, salt: 10 + round),
                          .fsync(dir + "/x"), .create(dir + "/y"), .write(dir + "/y", offset: 0, count: 9_000, salt: 20 + round),
                          .unlink(dir + "/x"), .mkdir(dir + "/z"), .fsync(dir + "/y")]
            }
        }
        return steps
    }

    /// The result of running the workload until the disk failed.
    struct Run {
        /// The model after each step that returned success (index 0: before any step).
        var snapshots: [TreeModel] = [PowerCutTests.initialModel]
        /// For each snapshot, the files whose last `fsync` returned with those bytes in place.
        var synced: [String: [UInt8]] = [:]
        /// The snapshot index the last successful `fsync` made durable.
        var durable = 0
        /// Steps that returned an error.
        var failures = 0
        /// Files a `.read` step found with bytes other than the model's.
        var misreads: [String] = []
    }

    /// Runs `workload` on `fileSystem`; with `stopAtFirstError`, stops at the first error
    /// (the power is gone), else carries on (a single failed write).
    static func run(_ workload: [Step], on fileSystem: FileSystem<HostMemory>, stopAtFirstError: Bool) -> Run {
        var run = Run()
        var model = initialModel
        var open: [String: UInt32] = [:]
        for step in workload {
            do throws(KernelError) {
                switch step {
                case .mkdir(let p):
                    try fileSystem.makeDirectory(path(p), from: 1)
                    model.nodes[p] = .directory
                case .create(let p):
                    try fileSystem.create(path(p), from: 1)
                    model.nodes[p] = .file([])
                case let .write(p, offset, count, salt):
                    let bytes = pattern(count, salt: salt)
                    let inode = try fileSystem.existingInode(path(p), from: 1).number
                    let written = try fileSystem.write(inode, at: UInt64(offset), bytes)
                    model.write(p, at: offset, Array(bytes.prefix(written)))
                case .fsync(let p):
                    try fileSystem.synchronize(fileSystem.existingInode(path(p), from: 1).number)
                    run.durable = run.snapshots.count - 1
                    if case .file(let bytes) = model.nodes[p] { run.synced[p] = bytes }
                case .unlink(let p):
                    try fileSystem.unlink(path(p), from: 1)
                    model.remove(p)
                    run.synced[p] = nil
                case .unlinkWhileOpen(let p):
                    let opened = try fileSystem.open(path(p), from: 1)
                    do throws(KernelError) { try fileSystem.unlink(path(p), from: 1) } catch {
                        fileSystem.release(opened.inode)
                        throw error
                    }
                    open[p] = opened.inode
                    model.remove(p)
                    run.synced[p] = nil
                case .release(let p):
                    if let inode = open.removeValue(forKey: p) { fileSystem.release(inode) }
                case let .rename(p, q):
                    let target = try? fileSystem.existingInode(path(q), from: 1).number
                    let sameFile = target != nil && target == (try? fileSystem.existingInode(path(p), from: 1).number)
                    try fileSystem.rename(path(p), to: path(q), from: 1)
                    // Two names of one file: the rename changes nothing (Linux's rule).
                    if sameFile { break }
                    model.rename(p, to: q)
                    var moved: [String: [UInt8]] = [:]
                    for (name, bytes) in run.synced where name != q && !name.hasPrefix(q + "/") {
                        moved[name == p || name.hasPrefix(p + "/") ? q + name.dropFirst(p.count) : name] = bytes
                    }
                    run.synced = moved
                case let .link(p, q):
                    try fileSystem.link(path(p), to: path(q), from: 1)
                    model.nodes[q] = model.nodes[p]
                    run.synced[q] = run.synced[p]
                case .read(let p):
                    let bytes = try fileSystem.contents(of: path(p))
                    if model.nodes[p] != .file(bytes) { run.misreads.append(p) }
                }
                run.snapshots.append(model)
            } catch {
                run.failures += 1
                if stopAtFirstError { return run }
            }
        }
        for inode in open.values { fileSystem.release(inode) }
        if (try? fileSystem.unmount()) == nil, !stopAtFirstError {
            // The one failed write may have hit the unmount's sync; the next one works.
            do { try fileSystem.unmount() } catch { run.failures += 1 }
        }
        return run
    }

    /// How a disk stops being written in one case.
    enum Fault {
        case cut(PowerCutLoss)
        case tear
        case fail
        /// The n-th read fails instead of a write.
        case failRead
    }

    /// Runs the workload on a fresh image with `fault` at write `n`, then checks the promise.
    /// Returns a description of what broke it, or `nil`.
    static func check(_ fault: Fault, at n: Int, workload: [Step]) throws -> String? {
        let disk = try DiskMachine(tree: initialTree)
        let fileSystem = try disk.mount()
        let base = disk.device.writeCount
        var keepsGoing = false
        switch fault {
        case .cut: disk.device.cutPower(afterWrite: base + n)
        case .tear: disk.device.tearWrite(number: base + n)
        case .fail:
            disk.device.failWrite(number: base + n)
            keepsGoing = true
        case .failRead:
            disk.device.failRead(number: disk.device.readCount + n)
            keepsGoing = true
        }
        let run = Self.run(workload, on: fileSystem, stopAtFirstError: !keepsGoing)
        switch fault {
        case .cut(let loss): disk.device = disk.device.imageAfterPowerCut(loss)
        case .tear: disk.device = disk.device.imageAfterPowerCut(.nothingWritten)
        case .fail, .failRead: disk.device = disk.device.copy()
        }
        if !run.misreads.isEmpty { return "read wrong bytes from \(run.misreads)" }
        let raw = disk.problems.filter { !$0.hasPrefix("journal: transaction") }
        if !raw.isEmpty { return "before mount: \(raw)" }
        let mounted: FileSystem<HostMemory>
        do { mounted = try FileSystem.mount(disk.device, frames: disk.machine.frames, options: disk.options) } catch {
            return "mount refused: \(error.reason)"
        }
        let tree: TreeModel
        do { tree = try TreeModel.read(mounted) } catch { return "reading the tree failed with \(error)" }
        do { try mounted.unmount() } catch { return "unmount failed with \(error)" }
        let problems = disk.problems
        if !problems.isEmpty { return "after mount: \(problems)" }
        let candidates = keepsGoing ? [run.snapshots.count - 1] : Array(run.durable..<run.snapshots.count)
        guard let match = candidates.last(where: { sameShape(tree, run.snapshots[$0]) }) else {
            return "the tree \(tree) is no state the workload passed through from step \(run.durable) on (last: \(run.snapshots.last!))"
        }
        for (name, node) in tree.nodes {
            guard case .file(let bytes) = node else { continue }
            if let synced = run.synced[name], run.snapshots[match].nodes[name] == .file(synced), !sameBytes(bytes, synced) {
                return "\(name) was fsynced but lost its bytes"
            }
            if !sectorsComeFromSomeState(bytes, name: name, snapshots: run.snapshots) {
                return "\(name) holds bytes no state of the workload had"
            }
        }
        return nil
    }

    /// Same paths, types and sizes.
    static func sameShape(_ a: TreeModel, _ b: TreeModel) -> Bool {
        guard a.nodes.count == b.nodes.count else { return false }
        for (name, node) in a.nodes {
            switch (node, b.nodes[name]) {
            case (.directory, .directory?): continue
            case (.file(let x), .file(let y)?) where x.count == y.count: continue
            default: return false
            }
        }
        return true
    }

    /// Whether every 512-byte sector of `bytes` equals that sector of file `name` in some
    /// snapshot (a torn or unsynced write may leave sectors of different ages). A version
    /// that ends inside the sector's page counts as that page then: its bytes, then zeros.
    static func sectorsComeFromSomeState(_ bytes: [UInt8], name: String, snapshots: [TreeModel]) -> Bool {
        var versions: [[UInt8]] = []
        for snapshot in snapshots {
            guard case .file(let contents) = snapshot.nodes[name] else { continue }
            if !versions.contains(where: { sameBytes($0, contents) }) { versions.append(contents) }
        }
        for start in stride(from: 0, to: bytes.count, by: 512) {
            let end = min(start + 512, bytes.count)
            let pageStart = start / 4096 * 4096
            let fromSomeVersion = versions.contains { version in
                guard version.count > pageStart else { return false }
                let inVersion = max(start, min(version.count, end))
                return bytes.withUnsafeBytes { mine in
                    let same = version.withUnsafeBytes { theirs in
                        memcmp(mine.baseAddress! + start, theirs.baseAddress! + start, inVersion - start) == 0
                    }
                    return same && !mine[inVersion..<end].contains { $0 != 0 }
                }
            }
            if !fromSomeVersion { return false }
        }
        return true
    }

    /// The number of block writes (or reads) the whole workload makes, unmount included.
    static func writeCount(of workload: [Step], reads: Bool = false) throws -> Int {
        let disk = try DiskMachine(tree: initialTree)
        let fileSystem = try disk.mount()
        let before = reads ? disk.device.readCount : disk.device.writeCount
        let run = run(workload, on: fileSystem, stopAtFirstError: true)
        expectEqual(run.failures, 0)
        return (reads ? disk.device.readCount : disk.device.writeCount) - before
    }

    static func everyCutPoint(_ fault: Fault) throws -> (points: Int, failures: [String]) {
        let workload = Self.workload
        let writes = try writeCount(of: workload, reads: { if case .failRead = fault { true } else { false } }())
        var failures: [String] = []
        for n in 1...writes {
            if let failure = try check(fault, at: n, workload: workload) { failures.append("write \(n): \(failure)") }
        }
        print("power cuts (\(fault)): \(writes) cut points over \(workload.count) operations, \(failures.count) broke the promise")
        return (writes, failures)
    }

    @Test func everyPowerCutLeavesAStateThePromiseAllows() throws {
        let (points, failures) = try Self.everyCutPoint(.cut(.nothingWritten))
        #expect(points > 50)
        expectEqual(failures, [], "\(failures.count) of \(points) cut points broke the promise")
    }

    @Test func everyPowerCutThatLosesUnflushedWritesAtRandomLeavesAStateThePromiseAllows() throws {
        let seeds: [UInt64] = TestTier.isLong ? [1, 2, 3, 4, 5, 6] : [1]
        for seed in seeds {
            let (points, failures) = try Self.everyCutPoint(.cut(.unflushedAtRandom(seed: seed)))
            expectEqual(failures, [], "seed \(seed): \(failures.count) of \(points) cut points broke the promise")
        }
    }

    @Test func everyTornWriteLeavesAStateThePromiseAllows() throws {
        let (points, failures) = try Self.everyCutPoint(.tear)
        expectEqual(failures, [], "\(failures.count) of \(points) torn writes broke the promise")
    }

    @Test func everyFailedReadEndsInAConsistentDiskWithEverySuccessfulOperation() throws {
        let (points, failures) = try Self.everyCutPoint(.failRead)
        #expect(points > 0)
        expectEqual(failures, [], "\(failures.count) of \(points) failed reads broke the promise")
    }

    @Test func everyFailedWriteEndsInAConsistentDiskWithEverySuccessfulOperation() throws {
        let (points, failures) = try Self.everyCutPoint(.fail)
        expectEqual(failures, [], "\(failures.count) of \(points) failed writes broke the promise")
    }
}
