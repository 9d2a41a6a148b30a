/// The checker's walk of the tree: every directory from the root, breadth first, each
/// inode read once, so that a cycle is found instead of followed. It records which inodes and
/// blocks are in use (for the comparison with the bitmaps) and reports what is wrong with
/// each inode and directory on the way.
struct CheckTree: ~Copyable {
    let geometry: FileSystemGeometry
    /// Inodes reached from the root, and orphans (marked used, no links).
    private(set) var inodeInUse: Bits
    /// Blocks some inode uses (data, directory and indirect blocks).
    private(set) var blockInUse: Bits

    private struct Reached {
        var type: FileType
        var storedLinks: UInt64
        var names: UInt64 = 0
        var subdirectories: UInt64 = 0
    }
    private var reached = AddressMap<Reached>()

    init(geometry: FileSystemGeometry) {
        self.geometry = geometry
        inodeInUse = Bits(count: geometry.inodeCount + 1)
        blockInUse = Bits(count: geometry.blockCount + 1)
    }

    mutating func walk(_ image: inout CheckedImage, inodeBitmap: Bits) {
        let root = DiskInode.rootNumber
        guard let rootInode = visit(root, in: &image) else { return }
        guard rootInode.type == .directory else { return image.report("inode 1 (the root) is not a directory") }
        var queue: [(directory: DiskInode, parent: UInt32)] = [(rootInode, root)]
        var next = 0
        while next < queue.count {
            let (directory, parent) = queue[next]
            next += 1
            for child in entries(of: directory, parent: parent, in: &image) {
                if reached.value(at: UInt64(child)) != nil {
                    count(child, in: directory.number, subdirectory: reached.value(at: UInt64(child))!.type == .directory)
                    if reached.value(at: UInt64(child))!.type == .directory {
                        image.report("directory \(directory.number) names directory \(child), which is already named elsewhere (a cycle, or a second link)")
                    }
                    continue
                }
                guard let inode = visit(child, in: &image) else { continue }
                count(child, in: directory.number, subdirectory: inode.type == .directory)
                if inode.type == .directory { queue.append((inode, directory.number)) }
            }
        }
        checkLinkCounts(&image)
        findOrphans(&image, inodeBitmap: inodeBitmap)
    }

    /// Records `child` as named once more by `parent`.
    private mutating func count(_ child: UInt32, in parent: UInt32, subdirectory: Bool) {
        var entry = reached.remove(at: UInt64(child))!
        entry.names += 1
        reached.insert(entry, at: UInt64(child))
        guard subdirectory, var parentEntry = reached.remove(at: UInt64(parent)) else { return }
        parentEntry.subdirectories += 1
        reached.insert(parentEntry, at: UInt64(parent))
    }

    private mutating func checkLinkCounts(_ image: inout CheckedImage) {
        reached.forEach { number, entry in
            let expected = entry.type == .directory ? 2 + entry.subdirectories : entry.names
            if entry.storedLinks != expected {
                image.report("inode \(number): link count \(entry.storedLinks), but \(entry.type == .directory ? "2 + \(entry.subdirectories) subdirectories" : "\(entry.names) names") make \(expected)", kind: .linkCount)
            }
        }
    }

    /// Inodes marked used that the walk did not reach: orphans (no links) are legal and
    /// their blocks are in use; anything else is reported by the bitmap comparison.
    private mutating func findOrphans(_ image: inout CheckedImage, inodeBitmap: Bits) {
        for index in 0..<geometry.inodeCount where inodeBitmap.contains(index) && reached.value(at: index + 1) == nil {
            let number = UInt32(index + 1)
            guard let inode = record(number, in: &image, quiet: true), inode.linkCount == 0 else { continue }
            inodeInUse.insert(UInt64(number))
            markBlocks(of: inode, in: &image)
        }
    }

    // MARK: - Inodes

    /// Reads inode `number` for the first time: checks its record and size, marks it and
    /// its blocks in use. `nil` when it is unusable.
    private mutating func visit(_ number: UInt32, in image: inout CheckedImage) -> DiskInode? {
        guard let inode = record(number, in: &image, quiet: false) else { return nil }
        inodeInUse.insert(UInt64(number))
        reached.insert(Reached(type: inode.type, storedLinks: inode.linkCount), at: UInt64(number))
        markBlocks(of: inode, in: &image)
        return inode
    }

    private func record(_ number: UInt32, in image: inout CheckedImage, quiet: Bool) -> DiskInode? {
        guard number >= 1, UInt64(number) <= geometry.inodeCount else {
            if !quiet { image.report("inode number \(number) is outside the inode table (1…\(geometry.inodeCount))") }
            return nil
        }
        let place = geometry.place(ofInode: number)
        guard let bytes = image.block(place.block) else { return nil }
        guard let inode = bytes.withUnsafeBytes({ DiskInode($0, at: place.offset) }), inode.number == number else {
            if !quiet { image.report("inode \(number): the record is damaged (magic, number or type)") }
            return nil
        }
        return inode
    }

    /// Marks every block `inode` uses, indirect ones included, and reports numbers outside
    /// the data area, blocks used twice, and sizes that disagree with the blocks.
    private mutating func markBlocks(of inode: DiskInode, in image: inout CheckedImage) {
        var last: UInt64?
        var mappedWithinSize: UInt64 = 0
        let covered = inode.blocksCovered
        func data(_ block: UInt64, at index: UInt64, _ tree: inout CheckTree, _ image: inout CheckedImage) {
            guard block != 0, tree.use(block, by: inode.number, in: &image, isTable: false) != nil else { return }
            last = index
            if index < covered { mappedWithinSize += 1 }
        }
        for (index, block) in inode.direct.enumerated() { data(block, at: UInt64(index), &self, &image) }
        let perBlock = UInt64(DiskInode.pointersPerBlock)
        if let table = use(inode.indirect, by: inode.number, in: &image) {
            for (index, block) in table.enumerated() { data(block, at: 12 + UInt64(index), &self, &image) }
        }
        if let tables = use(inode.doubleIndirect, by: inode.number, in: &image) {
            for (outer, middle) in tables.enumerated() where middle != 0 {
                guard let table = use(middle, by: inode.number, in: &image) else { continue }
                for (index, block) in table.enumerated() { data(block, at: 12 + perBlock + UInt64(outer) * perBlock + UInt64(index), &self, &image) }
            }
        }
        if inode.size > DiskInode.maximumSize { image.report("inode \(inode.number): size \(inode.size) is above the largest file") }
        if let last, last >= covered {
            image.report("inode \(inode.number): block \(last) of the file lies past its size \(inode.size)")
        }
        if inode.type == .directory {
            if inode.size == 0 || inode.size % UInt64(BlockGeometry.blockSize) != 0 {
                image.report("directory \(inode.number): size \(inode.size) is not a whole, non-zero number of blocks")
            } else if mappedWithinSize < covered {
                image.report("directory \(inode.number): a hole in its \(covered) blocks")
            }
        }
    }

    /// Marks `block` used by inode `owner`; for an indirect block (`isTable`) returns its
    /// 512 entries. `nil` for 0, a number outside the data area, or a block used twice.
    private mutating func use(_ block: UInt64, by owner: UInt32, in image: inout CheckedImage, isTable: Bool = true) -> [UInt64]? {
        guard block != 0 else { return nil }
        guard block >= geometry.firstDataBlock, block <= geometry.lastUsableBlock else {
            image.report("inode \(owner): block number \(block) is outside the data area (\(geometry.firstDataBlock)…\(geometry.lastUsableBlock))", kind: .blockRange)
            return nil
        }
        guard blockInUse.insert(block) else {
            image.report("block \(block) is used twice (again by inode \(owner))", kind: .blockTwice)
            return nil
        }
        guard isTable else { return [] }
        guard let bytes = image.block(block) else { return nil }
        return bytes.withUnsafeBytes { raw in (0..<DiskInode.pointersPerBlock).map { raw.loadLittleEndian(at: 8 * $0, as: UInt64.self) } }
    }

    // MARK: - Directories

    /// The inodes `directory` names besides `.` and `..`, after checking its entries: `.`
    /// and `..` first and right, every other name valid and unique, every slot whole.
    private mutating func entries(of directory: DiskInode, parent: UInt32, in image: inout CheckedImage) -> [UInt32] {
        let number = directory.number
        guard directory.type == .directory, directory.size % UInt64(BlockGeometry.blockSize) == 0 else { return [] }
        let map = blocks(ofDirectoryAlreadyUsed: directory, in: &image)
        var children: [UInt32] = []
        var names: [[UInt8]] = []
        for (blockIndex, block) in map.enumerated() where block != 0 {
            guard let bytes = image.block(block) else { continue }
            for slot in 0..<DirectoryBlock.entriesPerBlock {
                let entry = bytes.withUnsafeBytes { raw -> (DirectoryBlock.Slot, [UInt8]) in
                    let kind = DirectoryBlock.slot(slot, in: raw)
                    guard case .used(_, let length) = kind else { return (kind, []) }
                    return (kind, DirectoryBlock.name(at: slot, length: length, in: raw))
                }
                let first = blockIndex == 0 && slot < 2
                switch entry.0 {
                case .free:
                    if first { image.report("directory \(number): slot \(slot) should hold \(slot == 0 ? "." : "..") but is free") }
                case .damaged:
                    image.report("directory \(number): slot \(blockIndex * DirectoryBlock.entriesPerBlock + slot) has a name length outside 1…251")
                case .used(let inode, _):
                    let name = entry.1
                    if first {
                        let expected = slot == 0 ? (DirectoryBlock.dot, number) : (DirectoryBlock.dotDot, parent)
                        if name != expected.0 || inode != expected.1 {
                            image.report("directory \(number): slot \(slot) should be \(slot == 0 ? "." : "..") naming inode \(expected.1)")
                        }
                        continue
                    }
                    guard name != DirectoryBlock.dot, name != DirectoryBlock.dotDot, !name.contains(UInt8(ascii: "/")), !name.contains(0), isValidUTF8(name) else {
                        image.report("directory \(number): an entry has an invalid name (\(name.count) bytes)")
                        continue
                    }
                    guard inode >= 1, UInt64(inode) <= geometry.inodeCount else {
                        image.report("directory \(number): an entry names inode \(inode), outside the inode table")
                        continue
                    }
                    names.append(name)
                    children.append(inode)
                }
            }
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        for index in names.indices.dropFirst() where names[index] == names[index - 1] {
            image.report("directory \(number): the name of \(names[index].count) bytes appears twice")
        }
        return children
    }

    /// The blocks of a directory whose blocks ``visit(_:in:)`` has already marked.
    private func blocks(ofDirectoryAlreadyUsed directory: DiskInode, in image: inout CheckedImage) -> [UInt64] {
        var map = directory.direct
        func table(_ block: UInt64) -> [UInt64] {
            guard block >= geometry.firstDataBlock, block <= geometry.lastUsableBlock, let bytes = image.block(block) else {
                return [UInt64](repeating: 0, count: DiskInode.pointersPerBlock)
            }
            return bytes.withUnsafeBytes { raw in (0..<DiskInode.pointersPerBlock).map { raw.loadLittleEndian(at: 8 * $0, as: UInt64.self) } }
        }
        let covered = Int(min(directory.blocksCovered, DiskInode.maximumBlocks))
        if covered > map.count, directory.indirect != 0 { map += table(directory.indirect) }
        if covered > map.count, directory.doubleIndirect != 0 {
            map += [UInt64](repeating: 0, count: DiskInode.directCount + DiskInode.pointersPerBlock - map.count)
            for middle in table(directory.doubleIndirect) where covered > map.count {
                map += middle == 0 ? [UInt64](repeating: 0, count: DiskInode.pointersPerBlock) : table(middle)
            }
        }
        return map.prefix(covered).map { $0 >= geometry.firstDataBlock && $0 <= geometry.lastUsableBlock ? $0 : 0 }
    }
}
