import ApusCore
import Foundation
import Testing

/// A mutation fuzzer over images: a good image with damage in its metadata (random bytes, or
/// a number set to a value that lies: 0, 1, the block count, a block in the metadata area,
/// past the end, the largest integer), then mount, walk the tree, read, write, create,
/// unlink, fsync, unmount. Nothing may crash, hang, or touch a block outside the disk; each
/// image is refused at mount, or meets IOError somewhere, or works, and all three happen.
///
/// 200 images by default; `APUS_LONG_TESTS=1` tries 5,000.
@Suite("Damaged images")
struct ImageFuzzTests {
    struct Outcomes: CustomStringConvertible {
        var refused = 0
        var ioErrors = 0
        var worked = 0
        var reasons = Set<String>()
        var description: String { "\(refused) refused at mount, \(ioErrors) met IOError, \(worked) worked" }
    }

    /// A good image with directories, small and large files, and the metadata blocks worth
    /// damaging.
    static func baseImage() throws -> (MemoryBlockDevice, [UInt64]) {
        var tree: [FileSystemImage.Item] = [.directory(path: path("/a/b/c"))]
        for index in 0..<20 { tree.append(.file(path: path("/a/f\(index)"), contents: pattern(100 * index + 1, salt: index))) }
        tree.append(.file(path: path("/a/b/big"), contents: pattern(200_000)))
        tree.append(.file(path: path("/huge"), contents: pattern(530 * 4096 + 5)))
        let disk = try DiskMachine(tree: tree)
        let fs = try disk.mount()
        let geometry = fs.geometry
        var blocks: [UInt64] = [1, geometry.inodeBitmapStart, geometry.blockBitmapStart, geometry.journal!.superblock, geometry.inodeTableStart, geometry.inodeTableStart + 1]
        var pending: [UInt32] = [1]
        while let number = pending.popLast() {
            let inode = try fs.inode(number)
            if inode.type == .directory {
                blocks += inode.direct.filter { $0 != 0 }
                for entry in try fs.entries(of: inode, from: 2, count: 100).entries { pending.append(entry.inode) }
            }
            if inode.indirect != 0 { blocks.append(inode.indirect) }
            if inode.doubleIndirect != 0 { blocks.append(inode.doubleIndirect) }
        }
        try fs.unmount()
        return (disk.device, blocks)
    }

    static func damage(_ device: MemoryBlockDevice, blocks: [UInt64], random: inout SeededRandom) {
        let lies: [UInt64] = [0, 1, 2, 5, 4_134, 8_191, 8_192, 8_193, 1 << 32, UInt64.max, 0x8000_0000_0000_0000]
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let block = blocks.randomElement(using: &random)!
            var bytes = device.contents(of: block)
            switch Int.random(in: 0..<10, using: &random) {
            case 0:
                for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255, using: &random) }
            case 1...4:
                let offset = Int.random(in: 0..<512, using: &random) * 8
                bytes.replaceSubrange(offset..<offset + 8, with: lies.randomElement(using: &random)!.littleEndianBytes)
            default:
                for _ in 0..<Int.random(in: 1...8, using: &random) {
                    bytes[Int.random(in: 0..<4096, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            }
            device.damage(block: block, with: bytes)
        }
    }

    /// Uses a mounted damaged image every way the system calls will; returns whether any call
    /// met IOError.
    static func exercise(_ fs: FileSystem<HostMemory>) -> Bool {
        var sawIOError = false
        func note(_ error: KernelError) { if error == .ioError { sawIOError = true } }
        var pending: [(UInt32, String)] = [(1, "/")]
        var visited = Set<UInt32>()
        var files: [UInt32] = []
        while let (number, name) = pending.popLast(), visited.count < 200 {
            guard visited.insert(number).inserted else { continue }
            do throws(KernelError) {
                let directory = try fs.inode(number)
                var cursor: UInt64 = 0
                for _ in 0..<100 {
                    let batch = try fs.entries(of: directory, from: cursor, count: 16)
                    if batch.entries.isEmpty { break }
                    cursor = batch.next
                    for entry in batch.entries where entry.name != DirectoryBlock.dot && entry.name != DirectoryBlock.dotDot {
                        let child = name == "/" ? "/" + String(decoding: entry.name, as: UTF8.self) : name + "/" + String(decoding: entry.name, as: UTF8.self)
                        do throws(KernelError) {
                            let status = try fs.status(path(child), from: 1)
                            if status.type == .directory { pending.append((entry.inode, child)) } else { files.append(entry.inode) }
                        } catch { note(error) }
                    }
                }
            } catch { note(error) }
        }
        for (index, file) in files.prefix(30).enumerated() {
            do throws(KernelError) {
                let size = try fs.size(of: file)
                _ = try fs.read(file, at: size / 2, count: 8_192)
                _ = try fs.write(file, at: size - min(size, 100), pattern(2_000))
                if index % 8 == 0 { try fs.synchronize(file) }
            } catch { note(error) }
        }
        for call in 0..<4 {
            do throws(KernelError) {
                switch call {
                case 0: try fs.create("/new")
                case 1: try fs.mkdir("/a/newdir")
                case 2: try fs.unlink("/a/f3")
                default: try fs.unlink("/a/b/big")
                }
            } catch { note(error) }
        }
        do { try fs.unmount() } catch { note(error) }
        return sawIOError
    }

    @Test func damagedImagesAreRefusedOrFailWithIOErrorAndNeverCrash() throws {
        let count = TestTier.count(short: 200, long: 5_000)
        let (base, blocks) = try Self.baseImage()
        var random = SeededRandom(seed: 0xDA3A_6E)
        var outcomes = Outcomes()
        let machine = TestMachine(megabytes: 48)
        var options = FileSystem<HostMemory>.Options()
        options.pageCacheCapacity = 128
        for _ in 0..<count {
            let device = base.copy()
            Self.damage(device, blocks: blocks, random: &random)
            _ = FileSystemCheck.check(device)
            do {
                let fs = try FileSystem.mount(device, frames: machine.frames, options: options)
                if Self.exercise(fs) { outcomes.ioErrors += 1 } else { outcomes.worked += 1 }
            } catch {
                outcomes.refused += 1
                outcomes.reasons.insert(String(error.reason.prefix(40)))
            }
            expectEqual(device.contractViolations, 0, "the file system asked the device for a block outside it")
        }
        expectEqual(machine.frames.freeCount, machine.baseline, "frames leaked")
        print("damaged images: \(count) tried: \(outcomes)")
        #expect(outcomes.refused + outcomes.ioErrors + outcomes.worked == count)
        #expect(outcomes.refused > 0 && outcomes.ioErrors > 0 && outcomes.worked > 0, "\(outcomes)")
        #expect(outcomes.reasons.count > 3)
    }
}
