import ApusCore
import Testing

/// The journal of ABI.md §6: its records byte for byte, the commit point, replay and
/// ignoring at mount, the 511-block limit of a transaction, and a file system without one.
@Suite("Journal")
struct JournalTests {
    let journal = smallGeometry.journal!

    /// A mounted disk whose log starts now, after `create /f` and a sync.
    func committedCreate() throws -> (DiskMachine, [UInt64]) {
        let disk = try DiskMachine()
        let fs = try disk.mount()
        let start = disk.device.writeLog.count
        try fs.create("/f")
        try fs.sync()
        try fs.unmount()
        return (disk, Array(disk.device.writeLog[start...]))
    }

    @Test func aCommitWritesTxBeginTheBlocksTxEndThenTheCommitFlagThenHome() throws {
        let (disk, log) = try committedCreate()
        let begin = try #require(log.firstIndex(of: journal.transactionBegin))
        let end = try #require(log.firstIndex(of: journal.transactionEnd))
        let homes = try disk.device.read(block: journal.transactionBegin)
        let homeList = (0..<511).map { UInt64(littleEndianBytes: homes, at: 8 + 8 * $0) }.prefix { $0 != 0 }
        // The superblock, the inode bitmap, an inode table block, the root's directory block.
        expectEqual(Array(homeList), [1, 2, smallGeometry.inodeTableStart, smallGeometry.firstDataBlock])
        expectEqual(Array(log[begin + 1..<end]), (0..<homeList.count).map { journal.slot($0) })
        // Flush, commit flag, flush, the blocks home, flush, flag cleared, flush.
        expectEqual(Array(log[(end + 1)...(end + 3)]), [0, journal.superblock, 0])
        expectEqual(Array(log[(end + 4)..<(end + 4 + homeList.count)]), Array(homeList))
        expectEqual(Array(log[(end + 4 + homeList.count)...].prefix(3)), [0, journal.superblock, 0])
        expectEqual(UInt64(littleEndianBytes: homes, at: 0), 1)
        expectEqual(UInt64(littleEndianBytes: try disk.device.read(block: journal.transactionEnd), at: 0), 1)
        for (position, home) in homeList.enumerated() {
            #expect(try disk.device.read(block: journal.slot(position)) == disk.device.read(block: home))
        }
        let superblock = try disk.device.read(block: journal.superblock)
        expectEqual(Array(superblock[0..<8]), Array("KeOSJOUR".utf8))
        expectEqual(UInt64(littleEndianBytes: superblock, at: 8), 0)
        expectEqual(UInt64(littleEndianBytes: superblock, at: 16), 1)
    }

    /// Replays the workload of `committedCreate` on a fresh disk, cutting after `writes`
    /// block writes of it.
    func cut(afterWrites writes: Int) throws -> DiskMachine {
        let disk = try DiskMachine()
        let fs = try disk.mount()
        disk.device.cutPower(afterWrite: disk.device.writeCount + writes)
        try? fs.create("/f")
        try? fs.sync()
        disk.device = disk.device.imageAfterPowerCut(.nothingWritten)
        return disk
    }

    @Test func aCommittedTransactionIsReplayedAtMountAndTheJournalCleared() throws {
        let (_, log) = try committedCreate()
        let commitPoint = log.filter { $0 != 0 }.firstIndex(of: journal.superblock)! + 1
        let disk = try cut(afterWrites: commitPoint)
        let state = try disk.device.read(block: journal.superblock)
        expectEqual(UInt64(littleEndianBytes: state, at: 8), 1)
        #expect(disk.problems.count == 1 && disk.problems[0].hasPrefix("journal: transaction 1 is committed"))
        let fs = try disk.mount()
        expectEqual(try fs.stat("/f").type, .regular)
        try fs.unmount()
        expectEqual(UInt64(littleEndianBytes: try disk.device.read(block: journal.superblock), at: 8), 0)
        expectEqual(disk.problems, [])
    }

    @Test func aTransactionWithoutItsCommitFlagIsIgnoredAtMount() throws {
        let (_, log) = try committedCreate()
        let beforeCommit = log.filter { $0 != 0 }.firstIndex(of: journal.superblock)!
        let disk = try cut(afterWrites: beforeCommit)
        #expect(try disk.device.read(block: journal.transactionEnd) != [UInt8](repeating: 0, count: 4096))
        expectEqual(disk.problems, [])
        let fs = try disk.mount()
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.stat("/f") }
        try fs.unmount()
        expectEqual(disk.problems, [])
    }

    @Test func aReplayCutShortIsReplayedAgainAtTheNextMount() throws {
        let (_, log) = try committedCreate()
        let commitPoint = log.filter { $0 != 0 }.firstIndex(of: journal.superblock)! + 1
        let disk = try cut(afterWrites: commitPoint)
        disk.device.cutPower(afterWrite: disk.device.writeCount + 2)
        #expect(throws: MountFailure.self) { try FileSystem.mount(disk.device, frames: disk.machine.frames) }
        disk.device = disk.device.imageAfterPowerCut(.nothingWritten)
        let fs = try disk.mount()
        expectEqual(try fs.stat("/f").type, .regular)
        try fs.unmount()
        expectEqual(disk.problems, [])
    }

    @Test func aDamagedJournalIsRefusedAtMountWithItsReason() throws {
        for (offset, value, reason) in [(0, UInt64(0x4142), "magic"), (8, 2, "commit flag"), (8, 1, "TxEnd")] {
            let disk = try DiskMachine()
            var bytes = disk.device.contents(of: journal.superblock)
            bytes.replaceSubrange(offset..<offset + 8, with: value.littleEndianBytes)
            if offset == 8, value == 1 { bytes.replaceSubrange(16..<24, with: UInt64(5).littleEndianBytes) }
            disk.device.damage(block: journal.superblock, with: bytes)
            do {
                _ = try FileSystem.mount(disk.device, frames: disk.machine.frames)
                Issue.record("a damaged journal (\(reason)) was mounted")
            } catch {
                #expect(error.reason.contains(reason))
            }
            #expect(!disk.problems.isEmpty)
        }
    }

    @Test func aTransactionDroppedWithoutCommitLeavesNothing() throws {
        let disk = try DiskMachine()
        let fs = try disk.mount()
        let before = try fs.store.withBlock(1) { Array($0) }
        do {
            var transaction = fs.store.begin()
            try transaction.modify(1) { $0[100] = 0xAB }
            expectEqual(try transaction.withBlock(1) { $0[100] }, 0xAB)
        }
        expectEqual(try fs.store.withBlock(1) { Array($0) }, before)
        expectEqual(fs.store.groupCount, 0)
        try fs.unmount()
        expectEqual(disk.problems, [])
    }

    @Test func aTransactionOfMoreThan511BlocksIsRefusedWithNoSpace() throws {
        let disk = try DiskMachine()
        let fs = try disk.mount()
        var transaction = fs.store.begin()
        for block in 0..<UInt64(511) { try transaction.modify(smallGeometry.firstDataBlock + 100 + block) { $0[0] = 1 } }
        expectError(.noSpace) { () throws(KernelError) in try transaction.modify(smallGeometry.firstDataBlock + 700) { $0[0] = 1 } }
        expectEqual(transaction.changedBlockCount, 511)
        _ = consume transaction
        expectEqual(fs.store.groupCount, 0)
        try fs.unmount()
        expectEqual(disk.problems, [])
    }

    @Test func aGroupThatWouldOutgrowOneTransactionCommitsFirst() throws {
        let geometry = FileSystemGeometry(blockCount: 16_384, inodeCount: 2_048, hasJournal: true)
        let disk = try DiskMachine(geometry: geometry)
        let fs = try disk.mount()
        var largest = 0
        for index in 0..<600 {
            try fs.mkdir("/d\(index)")
            largest = max(largest, fs.store.groupCount)
        }
        #expect(fs.store.groupCommits >= 1)
        #expect(largest <= JournalFormat.maximumBlocksPerTransaction)
        try fs.unmount()
        expectEqual(disk.problems, [])
        let again = try disk.mount()
        expectEqual(try again.names("/").count, 602)
        try again.unmount()
    }

    @Test func withoutAJournalTheFileSystemStillWorks() throws {
        let geometry = FileSystemGeometry(blockCount: 4_096, inodeCount: 256, hasJournal: false)
        expectEqual(geometry.journal, nil)
        // Superblock, one block of each bitmap, 16 blocks of inodes: data from block 20.
        expectEqual(geometry.firstDataBlock, 20)
        let disk = try DiskMachine(geometry: geometry, tree: [.file(path: path("/a/b"), contents: pattern(9000))])
        let fs = try disk.mount()
        try fs.file("/c", pattern(70_000))
        try fs.unlink("/a/b")
        try fs.unmount()
        expectEqual(disk.problems, [])
        let again = try disk.mount()
        expectEqual(try again.contents(of: path("/c")), pattern(70_000))
        expectEqual(try again.names("/a"), [".", ".."])
        try again.unmount()
    }
}
