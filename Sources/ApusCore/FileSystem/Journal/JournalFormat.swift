/// The journal's place and records on the disk (ABI.md §6), byte for byte as KeOS writes
/// them.
///
/// The journal is 4,098 blocks right after the block bitmap:
///
/// ```
/// start + 0          journal superblock: "KeOSJOUR" @0, u64 commited @8, u64 tx_id @16
/// start + 1          TxBegin: u64 tx_id @0, then up to 511 u64 home block numbers, 0-terminated
/// start + 2 …        the logged blocks' new contents, in the order TxBegin names them
///   … start + 4096   (4,095 slots)
/// start + 4097       TxEnd: u64 tx_id @0
/// ```
///
/// A TxBegin block has room for 511 block numbers, so no transaction logs more than 511
/// blocks, although the journal has 4,095 slots.
public struct JournalFormat: Sendable, Equatable {
    public static let magic: [UInt8] = Array("KeOSJOUR".utf8)
    /// Blocks the journal occupies on the disk.
    public static let blockCount: UInt64 = 4_098
    /// Slots for logged blocks.
    public static let dataSlotCount = 4_095
    /// The most blocks one transaction logs: the home numbers one TxBegin block can hold.
    public static let maximumBlocksPerTransaction = (BlockGeometry.blockSize - 8) / 8

    static let committedOffset = 8
    static let transactionIDOffset = 16

    /// The journal superblock's number.
    public let start: UInt64

    public init(start: UInt64) { self.start = start }

    public var superblock: UInt64 { start }
    public var transactionBegin: UInt64 { start + 1 }
    public var transactionEnd: UInt64 { start + Self.blockCount - 1 }
    /// The block that logs the `index`-th block of a transaction.
    public func slot(_ index: Int) -> UInt64 { start + 2 + UInt64(index) }
    /// Whether `block` is one of the journal's own blocks.
    public func contains(_ block: UInt64) -> Bool { block >= start && block < start + Self.blockCount }

    /// The contents of a journal superblock.
    static func superblock(committed: Bool, transactionID: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: BlockGeometry.blockSize)
        bytes.replaceSubrange(0..<8, with: magic)
        bytes.replaceSubrange(committedOffset..<committedOffset + 8, with: UInt64(committed ? 1 : 0).littleEndianBytes)
        bytes.replaceSubrange(transactionIDOffset..<transactionIDOffset + 8, with: transactionID.littleEndianBytes)
        return bytes
    }

    /// The TxBegin block of transaction `id` logging `homes` (at most 511, in order).
    static func transactionBegin(id: UInt64, homes: [UInt64]) -> [UInt8] {
        precondition(homes.count <= maximumBlocksPerTransaction)
        var bytes = [UInt8](repeating: 0, count: BlockGeometry.blockSize)
        bytes.replaceSubrange(0..<8, with: id.littleEndianBytes)
        for (position, home) in homes.enumerated() {
            bytes.replaceSubrange(8 + 8 * position..<16 + 8 * position, with: home.littleEndianBytes)
        }
        return bytes
    }

    /// The TxEnd block of transaction `id`.
    static func transactionEnd(id: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: BlockGeometry.blockSize)
        bytes.replaceSubrange(0..<8, with: id.littleEndianBytes)
        return bytes
    }

    /// The state a journal superblock records.
    public struct State: Equatable, Sendable {
        public var committed: UInt64
        public var transactionID: UInt64
    }

    /// The state recorded in journal superblock `bytes`, or `nil` when its magic is wrong.
    static func state(of bytes: UnsafeRawBufferPointer) -> State? {
        guard bytes.count == BlockGeometry.blockSize, bytes[0..<8].elementsEqual(magic) else { return nil }
        return State(committed: UInt64(littleEndianBytes: bytes, at: committedOffset),
                     transactionID: UInt64(littleEndianBytes: bytes, at: transactionIDOffset))
    }

    /// The home block numbers a TxBegin block names, or `nil` when it is not TxBegin of
    /// transaction `id` or names a block outside `valid` (or inside the journal).
    func homes(inTransactionBegin bytes: UnsafeRawBufferPointer, id: UInt64, valid: ClosedRange<UInt64>) -> [UInt64]? {
        guard UInt64(littleEndianBytes: bytes, at: 0) == id else { return nil }
        var homes: [UInt64] = []
        for position in 0..<Self.maximumBlocksPerTransaction {
            let home = UInt64(littleEndianBytes: bytes, at: 8 + 8 * position)
            if home == 0 { break }
            guard valid.contains(home), !contains(home), !homes.contains(home) else { return nil }
            homes.append(home)
        }
        return homes
    }
}
