/// fsck: checks every rule of the on-disk format (ABI.md §6) on an image, reading the device
/// directly, without mounting and without changing a byte. The result is one line per
/// problem, empty when the image is clean.
///
/// What is checked:
/// * the superblock's magic and a geometry that fits the device;
/// * the journal: its magic and flag; a committed transaction must be replayable (TxBegin
///   and TxEnd carry its id, every home block is valid), and is reported with what a replay
///   would change (a committed journal is a problem: a mount replays and clears it). The
///   rest of the image is checked as the replay would leave it;
/// * the metadata area marked used in the block bitmap;
/// * the tree from the root (`CheckTree.swift`): every inode reached whole and marked used,
///   `.` and `..` right, names valid, no directory reached twice (no cycle), block numbers
///   inside the data area, no block used twice, sizes that agree with the blocks, link
///   counts equal to the names and subdirectories;
/// * the bitmaps against what is reachable (inodes unlinked while open, *orphans*, are
///   legal: a mount frees them), and the superblock's counts against the bitmaps.
public enum FileSystemCheck {
    /// How many lines of one kind are listed before the rest are counted.
    static let linesPerKind = 16

    /// The problems of the image on `device`; empty when it is clean.
    public static func check(_ device: any BlockDevice) -> [String] {
        var image = CheckedImage(device: device)
        guard let first = image.block(1) else { return image.problems }
        guard let superblock = first.withUnsafeBytes({ Superblock($0) }) else { return ["block 1: no KeOSFFS magic, not a KeOS file system"] }
        let geometry = superblock.geometry
        if let problem = geometry.problem(onDeviceOf: device.blockCount) { return ["superblock: \(problem)"] }
        if let journal = geometry.journal { checkJournal(journal, geometry: geometry, in: &image) }
        // The rest is checked as a replay of the journal would leave it.
        guard let replayed = image.block(1)?.withUnsafeBytes({ Superblock($0) }), replayed.geometry == geometry else {
            image.report("superblock: a replay of the journal would change the geometry")
            return image.problems
        }
        guard let inodeBitmap = image.bits(from: geometry.inodeBitmapStart, blocks: geometry.inodeBitmapBlocks),
              let blockBitmap = image.bits(from: geometry.blockBitmapStart, blocks: geometry.blockBitmapBlocks)
        else { return image.problems }
        for block in 1..<geometry.firstDataBlock where !blockBitmap.contains(block) {
            image.report("block bitmap: metadata block \(block) is marked free", kind: .metadataFree)
        }
        if !blockBitmap.contains(0) { image.report("block bitmap: bit 0 is clear") }
        var tree = CheckTree(geometry: geometry)
        tree.walk(&image, inodeBitmap: inodeBitmap)
        compare(tree, inodeBitmap: inodeBitmap, blockBitmap: blockBitmap, superblock: replayed, in: &image)
        return image.problems
    }

    /// Checks the journal and, when it holds a committed transaction, lays the replay over
    /// the image.
    private static func checkJournal(_ journal: JournalFormat, geometry: FileSystemGeometry, in image: inout CheckedImage) {
        guard let bytes = image.block(journal.superblock) else { return }
        guard let state = bytes.withUnsafeBytes({ JournalFormat.state(of: $0) }) else {
            image.report("journal: the superblock at block \(journal.superblock) has no KeOSJOUR magic")
            return
        }
        guard state.committed != 0 else { return }
        guard state.committed == 1 else {
            image.report("journal: the commit flag is \(state.committed), neither 0 nor 1")
            return
        }
        let homes: [UInt64]
        do {
            homes = try JournalRecovery.committedHomes(journal, state: state, on: image.device, validHomes: 1...geometry.blockCount)
        } catch {
            image.report("journal: not replayable: \(error.reason)")
            return
        }
        var changed: [UInt64] = []
        for (position, home) in homes.enumerated() {
            guard let logged = image.block(journal.slot(position)), let old = image.block(home) else { return }
            if logged != old { changed.append(home) }
            image.overlay(home, with: logged)
        }
        let list = changed.prefix(linesPerKind).map { "\($0)" }.joined(separator: ", ") + (changed.count > linesPerKind ? ", …" : "")
        image.report("journal: transaction \(state.transactionID) is committed but not checkpointed (a mount replays it): it logs \(homes.count) blocks, of which \(changed.count) differ from their home\(changed.isEmpty ? "" : " (\(list))")")
    }

    /// The bitmaps and the superblock's counts against what the walk found in use.
    private static func compare(_ tree: borrowing CheckTree, inodeBitmap: Bits, blockBitmap: Bits, superblock: Superblock, in image: inout CheckedImage) {
        let geometry = tree.geometry
        let markedInodes = inodeBitmap.count(in: 0..<geometry.inodeCount)
        for index in inodeBitmap.differences(from: tree.inodeInUse, shiftedBy: 1, in: 0..<geometry.inodeCount) {
            let number = index + 1
            if inodeBitmap.contains(index) {
                image.report("inode bitmap: inode \(number) is marked used but no directory names it", kind: .inodeUnused)
            } else {
                image.report("inode bitmap: inode \(number) is in use but marked free", kind: .inodeFree)
            }
        }
        let dataBlocks = geometry.firstDataBlock..<(geometry.lastUsableBlock + 1)
        let markedBlocks = blockBitmap.count(in: dataBlocks)
        for block in blockBitmap.differences(from: tree.blockInUse, shiftedBy: 0, in: dataBlocks) {
            if blockBitmap.contains(block) {
                image.report("block bitmap: block \(block) is marked used but no file uses it", kind: .blockUnused)
            } else {
                image.report("block bitmap: block \(block) is in use but marked free", kind: .blockFree)
            }
        }
        if superblock.usedInodeCount != markedInodes {
            image.report("superblock: counts \(superblock.usedInodeCount) inodes in use, the bitmap marks \(markedInodes)")
        }
        if superblock.usedBlockCount != markedBlocks {
            image.report("superblock: counts \(superblock.usedBlockCount) data blocks in use, the bitmap marks \(markedBlocks)")
        }
        image.finishReport()
    }
}

/// A set of numbers as a bitmap, for the checker's own bookkeeping and the disk's bitmaps.
struct Bits {
    private(set) var words: [UInt64]
    init(count: UInt64) { words = [UInt64](repeating: 0, count: Int(count / 64 + 1)) }
    init(bytes: [UInt8]) {
        var words = [UInt64](repeating: 0, count: bytes.count / 8 + 1)
        words.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in target.copyMemory(from: source) }
        }
        self.words = words.map { UInt64(littleEndian: $0) }
    }
    func contains(_ index: UInt64) -> Bool {
        Int(index / 64) < words.count && words[Int(index / 64)] & (1 << (index % 64)) != 0
    }
    /// How many of `range` are in the set.
    func count(in range: Range<UInt64>) -> UInt64 {
        var total: UInt64 = 0
        var index = range.lowerBound
        while index < range.upperBound {
            if index % 64 == 0, index + 64 <= range.upperBound {
                total += UInt64(Int(index / 64) < words.count ? words[Int(index / 64)].nonzeroBitCount : 0)
                index += 64
            } else {
                if contains(index) { total += 1 }
                index += 1
            }
        }
        return total
    }

    /// The members `index` of `range` for which `index` here and `index + shift` in `other`
    /// disagree.
    func differences(from other: Bits, shiftedBy shift: UInt64, in range: Range<UInt64>) -> [UInt64] {
        var found: [UInt64] = []
        var index = range.lowerBound
        while index < range.upperBound {
            if shift == 0, index % 64 == 0, index + 64 <= range.upperBound, Int(index / 64) < words.count, Int(index / 64) < other.words.count,
               words[Int(index / 64)] == other.words[Int(index / 64)] {
                index += 64
                continue
            }
            if contains(index) != other.contains(index + shift) { found.append(index) }
            index += 1
        }
        return found
    }

    /// Adds `index`; returns whether it was new.
    @discardableResult
    mutating func insert(_ index: UInt64) -> Bool {
        guard !contains(index) else { return false }
        words[Int(index / 64)] |= 1 << (index % 64)
        return true
    }
}

/// The image as the checker reads it: the device's blocks, with a committed journal's
/// blocks laid over their homes, and the problems found so far.
struct CheckedImage: ~Copyable {
    let device: any BlockDevice
    private var replayed = AddressMap<[UInt8]>()
    private(set) var problems: [String] = []
    /// The kinds of problem that can repeat once per block or inode.
    enum Kind: CaseIterable {
        case metadataFree, inodeUnused, inodeFree, blockUnused, blockFree, linkCount, blockRange, blockTwice
    }
    private var counts: [(kind: Kind, count: Int)] = []

    init(device: any BlockDevice) { self.device = device }

    /// Block `number`, or `nil` (and a problem) when the device cannot read it.
    mutating func block(_ number: UInt64) -> [UInt8]? {
        if let bytes = replayed.value(at: number) { return bytes }
        do { return try device.read(block: number) } catch {
            report("block \(number) cannot be read from the device")
            return nil
        }
    }

    mutating func overlay(_ number: UInt64, with bytes: [UInt8]) {
        replayed.remove(at: number)
        replayed.insert(bytes, at: number)
    }

    /// The bits of the bitmap in `blocks` blocks from `start`.
    mutating func bits(from start: UInt64, blocks: UInt64) -> Bits? {
        var bytes: [UInt8] = []
        for index in 0..<blocks {
            guard let block = block(start + index) else { return nil }
            bytes += block
        }
        return Bits(bytes: bytes)
    }

    /// Records a problem; of each `kind`, only the first ``FileSystemCheck/linesPerKind`` are
    /// listed, and ``finishReport()`` counts the rest.
    mutating func report(_ line: String, kind: Kind? = nil) {
        guard let kind else { return problems.append(line) }
        if let index = counts.firstIndex(where: { $0.kind == kind }) {
            counts[index].count += 1
            if counts[index].count <= FileSystemCheck.linesPerKind { problems.append(line) }
        } else {
            counts.append((kind, 1))
            problems.append(line)
        }
    }

    mutating func finishReport() {
        for (_, count) in counts where count > FileSystemCheck.linesPerKind {
            problems.append("… and \(count - FileSystemCheck.linesPerKind) more problems like the one above")
        }
        counts.removeAll()
    }
}
