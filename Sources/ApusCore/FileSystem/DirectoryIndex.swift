/// An in-memory index of one directory's entries: which slots may hold a given name, and
/// which slots are free. With it, `create`, `unlink`, `rename` and a path walk find a name
/// or a free slot without reading the whole directory.
///
/// On the disk a directory is an unordered list of slots (``DirectoryBlock``): finding a
/// name, or the first free slot, means reading every block. Making or removing N names in
/// one directory (a `tar -x`, an `rm -r`) would then read O(N²) blocks. The index holds,
/// for every used slot from 2 on (slots 0 and 1 are always `.` and `..`), a key
/// `hash(name) << 32 | slot`, and for every free slot from 2 on the slot itself, each in an
/// ``AddressMap``:
///
/// * a name's candidates are the keys from `hash << 32` up to the next hash: usually one,
///   whose block is read to compare the name (a different name with the same hash is read
///   and passed over, so a collision costs a block read, never a wrong answer);
/// * the first free slot is the smallest free key, the one the scan would find: entries keep
///   the order ABI.md §6 promises `readdir`.
///
/// The disk stays the truth: the index holds no names, only hashes and slot numbers, and it
/// is built from the disk on first use, kept exact by the operations that change the
/// directory, and dropped whenever one of them fails (``FileSystem`` drops it, so the next
/// use rebuilds it from what the disk and the committed transactions hold).
final class DirectoryIndex {
    /// The directory's inode number.
    let directory: UInt32
    /// Used slots from 2 on, keyed `hash(name) << 32 | slot`.
    private var names = AddressMap<Void>()
    /// Free slots from 2 on, keyed by slot.
    private var freeSlots = AddressMap<Void>()
    /// Slots the directory's blocks hold: 16 per block.
    private(set) var slotCount: UInt64
    /// When it was last used, for eviction (``DirectoryIndexes``).
    var lastUse: UInt64 = 0

    init(directory: UInt32, slotCount: UInt64) {
        self.directory = directory
        self.slotCount = slotCount
    }

    /// Nodes the index holds: what it costs the kernel heap, one ``AddressMap`` node each.
    var nodeCount: Int { names.count + freeSlots.count }

    /// Whether the directory holds nothing but `.` and `..`.
    var isEmpty: Bool { names.isEmpty }

    /// The first free slot, as the scan would find it.
    var firstFreeSlot: UInt64? { freeSlots.ceiling(0)?.key }

    /// The 32-bit FNV-1a hash of `name`.
    static func hash(_ name: [UInt8]) -> UInt64 {
        var hash: UInt32 = 2_166_136_261
        for byte in name {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return UInt64(hash)
    }

    /// Calls `body` with each slot that may hold `name`, in slot order, while it returns `true`.
    func forEachCandidate(for name: [UInt8], _ body: (UInt64) throws(KernelError) -> Bool) throws(KernelError) {
        let hash = Self.hash(name)
        var key = hash << 32
        while let next = names.ceiling(key), next.key >> 32 == hash {
            if try !body(next.key & 0xFFFF_FFFF) { return }
            key = next.key + 1
        }
    }

    /// Records `name` in the free slot `slot`.
    func use(_ slot: UInt64, for name: [UInt8]) {
        freeSlots.remove(at: slot)
        names.insert((), at: Self.hash(name) << 32 | slot)
    }

    /// Records slot `slot`, which held `name`, as free.
    func free(_ slot: UInt64, heldBy name: [UInt8]) {
        names.remove(at: Self.hash(name) << 32 | slot)
        freeSlots.insert((), at: slot)
    }

    /// Records a new block at the end of the directory: 16 more free slots (14 for the
    /// first block, whose slots 0 and 1 are `.` and `..`).
    func addBlock() {
        let perBlock = UInt64(DirectoryBlock.entriesPerBlock)
        for slot in max(slotCount, 2)..<slotCount + perBlock { freeSlots.insert((), at: slot) }
        slotCount += perBlock
    }

    /// Every used slot and its hash, and every free slot (for tests that compare the index
    /// with a scan).
    func contents() -> (used: [(hash: UInt64, slot: UInt64)], free: [UInt64]) {
        var used: [(hash: UInt64, slot: UInt64)] = []
        var free: [UInt64] = []
        names.forEach { key, _ in used.append((key >> 32, key & 0xFFFF_FFFF)) }
        freeSlots.forEach { key, _ in free.append(key) }
        return (used.sorted { $0.slot < $1.slot }, free)
    }
}

/// The directory indexes of one file system: a small cache, bounded in nodes so that it fits
/// the kernel heap's budget (``HeapBudget``, "directory name indexes").
///
/// Only directories of at least ``Policy/minimumBlocks`` blocks are indexed (a smaller one is
/// read whole in a few block reads anyway). When a new index, or a growing one, would pass
/// ``Policy/nodeLimit`` nodes in all, the least recently used indexes go; an index that
/// cannot fit even alone is not kept, and its directory is scanned as before. Nothing here
/// can fail a call: without an index, every operation reads the directory as it always did.
struct DirectoryIndexes {
    /// What is indexed, and how much at most.
    struct Policy: Sendable {
        /// Directories smaller than this, in blocks, are scanned.
        var minimumBlocks: UInt64 = 4
        /// Nodes of all indexes together, at most.
        var nodeLimit = 32_768
        /// Indexes at once, at most.
        var indexLimit = 64
    }

    var policy = Policy()
    private var indexes: [DirectoryIndex] = []
    private var clock: UInt64 = 0

    /// Indexes built so far (a measure for tests).
    private(set) var builds = 0

    /// Nodes of all indexes together.
    var nodeCount: Int { indexes.reduce(0) { $0 + $1.nodeCount } }

    var count: Int { indexes.count }

    /// Every index kept.
    var all: [DirectoryIndex] { indexes }

    /// The index of `directory`, if one is kept; marks it used.
    mutating func index(of directory: UInt32) -> DirectoryIndex? {
        guard let found = indexes.first(where: { $0.directory == directory }) else { return nil }
        clock += 1
        found.lastUse = clock
        return found
    }

    /// Makes room for `nodes` more nodes by dropping the least recently used indexes other
    /// than `keeping`; whether they fit now.
    mutating func makeRoom(for nodes: Int, keeping: DirectoryIndex? = nil) -> Bool {
        while nodeCount + nodes > policy.nodeLimit || (keeping == nil && indexes.count >= policy.indexLimit) {
            guard let oldest = indexes.indices.filter({ indexes[$0] !== keeping }).min(by: { indexes[$0].lastUse < indexes[$1].lastUse }) else {
                return false
            }
            indexes.remove(at: oldest)
        }
        return true
    }

    /// Keeps `index`, built from the disk (room made first with ``makeRoom(for:keeping:)``).
    mutating func adopt(_ index: DirectoryIndex) {
        clock += 1
        index.lastUse = clock
        indexes.append(index)
        builds += 1
    }

    /// Forgets the index of `directory`, if any.
    mutating func drop(_ directory: UInt32) {
        indexes.removeAll { $0.directory == directory }
    }

    /// Forgets every index.
    mutating func dropAll() {
        indexes.removeAll()
    }
}
