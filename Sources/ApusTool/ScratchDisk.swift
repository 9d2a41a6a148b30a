import ApusCore
import Foundation

/// The disk `apus boot` gives the kernel's disk checks: a small raw image made for one boot,
/// whose every block says which block it is, so that a block read from the wrong place, a
/// byte out of order or a write that never arrived shows.
///
/// 8-byte word `i` of block `n` (blocks numbered from 1, as `BlockDevice` numbers them)
/// holds `generation << 56 | n << 16 | i`, little-endian. The image starts with generation 0
/// everywhere; the kernel's checks (the kernel's DiskChecks.swift, which computes the same
/// words) read it all, rewrite every odd block with generation 1, and read it all again.
/// After the boot, ``problemsAfterChecks()`` reads the image back: the odd blocks must hold
/// generation 1 and the even ones generation 0, or the kernel's writes did not reach the
/// disk (or went to the wrong blocks).
public struct ScratchDisk {
    /// 256 blocks of 4 KiB: big enough to have requests in flight together, small enough to
    /// read many times over in a boot under software emulation.
    public static let defaultBlocks = 256
    static let wordsPerBlock = BlockGeometry.blockSize / MemoryLayout<UInt64>.size

    /// Where the image is.
    public var url: URL { folder.url.appendingPathComponent("scratch-disk.img") }
    /// How many blocks it holds.
    public let blocks: Int
    /// The private folder that holds the image: removed with it, and by
    /// ``Machine/stopEverything()`` when a signal ends the tool.
    private let folder: ScratchFolder

    /// The kernel command-line word that tells the kernel's checks to use the disk.
    public var commandLineOption: String { "scratch-disk=\(blocks)" }

    /// Makes an image of `blocks` blocks, each holding its generation-0 pattern, in a new
    /// private folder in `parent` (the temporary folder by default).
    public static func make(blocks: Int = defaultBlocks, in parent: URL? = nil) throws -> ScratchDisk {
        precondition(blocks > 0)
        let disk = ScratchDisk(blocks: blocks, folder: try ScratchFolder(in: parent))
        var image = Data(capacity: blocks * BlockGeometry.blockSize)
        for block in 1...blocks { image.append(contentsOf: Self.block(UInt64(block), generation: 0)) }
        do {
            try image.write(to: disk.url)
        } catch {
            disk.remove()
            throw ToolError("cannot make the scratch disk \(disk.url.path): \(error.localizedDescription)")
        }
        return disk
    }

    /// The word `word` of `block` in `generation`.
    static func pattern(block: UInt64, word: Int, generation: UInt64) -> UInt64 {
        generation << 56 | block << 16 | UInt64(word)
    }

    /// The bytes of `block` in `generation`.
    static func block(_ block: UInt64, generation: UInt64) -> [UInt8] {
        (0..<wordsPerBlock).flatMap { word in
            withUnsafeBytes(of: pattern(block: block, word: word, generation: generation).littleEndian, Array.init)
        }
    }

    /// After a boot whose checks passed: one line per block that does not hold what the
    /// kernel's checks leave there (generation 1 in odd blocks, 0 in even ones), or about
    /// an image of the wrong size; empty when the image is as it should be.
    public func problemsAfterChecks() throws -> [String] {
        let image: Data
        do {
            image = try Data(contentsOf: url)
        } catch {
            throw ToolError("cannot read the scratch disk \(url.path): \(error.localizedDescription)")
        }
        guard image.count == blocks * BlockGeometry.blockSize else {
            return ["the scratch disk holds \(image.count) bytes, not \(blocks * BlockGeometry.blockSize)"]
        }
        var problems: [String] = []
        for block in 1...blocks {
            let start = (block - 1) * BlockGeometry.blockSize
            let found = image[start..<start + BlockGeometry.blockSize]
            let generation = UInt64(block % 2)
            if !found.elementsEqual(Self.block(UInt64(block), generation: generation)) {
                let other = found.elementsEqual(Self.block(UInt64(block), generation: 1 - generation))
                problems.append("block \(block) of the scratch disk " + (other ? "holds generation \(1 - generation), not \(generation)" : "holds neither generation of its pattern"))
            }
        }
        return problems
    }

    /// Deletes the image and its folder.
    public func remove() {
        folder.remove()
    }
}
