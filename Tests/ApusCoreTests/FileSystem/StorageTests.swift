import ApusCore
import Testing

/// The in-memory disk's fault injection and the block cache's bound.
@Suite("Storage")
struct StorageTests {
    static let ones = [UInt8](repeating: 1, count: 4096)
    static let twos = [UInt8](repeating: 2, count: 4096)

    @Test func theNthReadFailsAndTheOthersWork() throws {
        let device = MemoryBlockDevice(blockCount: 8)
        try device.write(block: 3, bytes: Self.ones)
        device.failRead(number: 2)
        expectEqual(try device.read(block: 3), Self.ones)
        #expect(throws: KernelError.ioError) { try device.read(block: 3) }
        expectEqual(try device.read(block: 3), Self.ones)
        expectEqual(device.readCount, 3)
    }

    @Test func theNthWriteFailsAndLeavesTheBlockAsItWas() throws {
        let device = MemoryBlockDevice(blockCount: 8)
        try device.write(block: 3, bytes: Self.ones)
        device.failWrite(number: 2)
        #expect(throws: KernelError.ioError) { try device.write(block: 3, bytes: Self.twos) }
        expectEqual(device.contents(of: 3), Self.ones)
        try device.write(block: 3, bytes: Self.twos)
        expectEqual(device.contents(of: 3), Self.twos)
        expectEqual(device.writeCount, 3)
    }

    @Test func aPowerCutKeepsEveryWriteUpToItAndNoneAfter() throws {
        let device = MemoryBlockDevice(blockCount: 8)
        device.cutPower(afterWrite: 2)
        try device.write(block: 1, bytes: Self.ones)
        try device.write(block: 2, bytes: Self.ones)
        #expect(device.powerIsCut)
        #expect(throws: KernelError.ioError) { try device.write(block: 3, bytes: Self.ones) }
        #expect(throws: KernelError.ioError) { try device.flush() }
        let image = device.imageAfterPowerCut(.nothingWritten)
        expectEqual(image.nonZeroBlocks, [1, 2])
    }

    @Test func aPowerCutMayLoseWritesNotYetFlushedButNeverFlushedOnes() throws {
        var lostSome = false
        for seed in UInt64(1)...16 {
            let device = MemoryBlockDevice(blockCount: 40)
            try device.write(block: 1, bytes: Self.ones)
            try device.flush()
            for block in UInt64(2)...30 { try device.write(block: block, bytes: Self.twos) }
            device.cutPower(afterWrite: device.writeCount)
            let image = device.imageAfterPowerCut(.unflushedAtRandom(seed: seed))
            expectEqual(image.contents(of: 1), Self.ones)
            lostSome = lostSome || image.nonZeroBlocks.count < 30
            for block in image.nonZeroBlocks { expectEqual(image.contents(of: block), (block == 1 ? Self.ones : Self.twos)) }
        }
        #expect(lostSome)
    }

    @Test func aTornWriteIsHalfNewHalfOldAndCutsThePower() throws {
        let device = MemoryBlockDevice(blockCount: 8)
        try device.write(block: 5, bytes: Self.ones)
        device.tearWrite(number: 2)
        try device.write(block: 5, bytes: Self.twos)
        #expect(device.powerIsCut)
        let image = device.imageAfterPowerCut(.nothingWritten)
        #expect(image.contents(of: 5) == Array(Self.twos[..<2048]) + Array(Self.ones[2048...]))
    }

    @Test func callsOutsideTheContractAreCountedAndFail() throws {
        let device = MemoryBlockDevice(blockCount: 8)
        #expect(throws: KernelError.ioError) { try device.read(block: 0) }
        #expect(throws: KernelError.ioError) { try device.write(block: 9, bytes: Self.ones) }
        #expect(throws: KernelError.ioError) { try device.write(block: 1, bytes: [1, 2]) }
        expectEqual(device.contractViolations, 3)
    }

    @Test func theBlockCacheHoldsAtMostItsCapacityAndCountsHits() throws {
        let machine = TestMachine(megabytes: 16)
        do {
            let device = MemoryBlockDevice(blockCount: 3000)
            for block in UInt64(1)...3000 { try device.write(block: block, bytes: [UInt8](repeating: UInt8(truncatingIfNeeded: block), count: 4096)) }
            let cache = BlockCache(device: device, frames: machine.frames, capacity: 1024)
            for block in UInt64(1)...3000 {
                expectEqual(try cache.withBlock(block) { $0[7] }, UInt8(truncatingIfNeeded: block))
            }
            expectEqual(cache.count, 1024)
            expectEqual(cache.misses, 3000)
            expectEqual(try cache.withBlock(3000) { $0[0] }, UInt8(truncatingIfNeeded: 3000))
            expectEqual(cache.hits, 1)
            expectEqual(cache.releaseFrames(100), 100)
            expectEqual(cache.count, 924)
        }
        expectEqual(machine.frames.freeCount, machine.baseline)
    }

    @Test func theBlockCacheReportsADeviceErrorAndKeepsWorking() throws {
        let machine = TestMachine(megabytes: 16)
        let device = MemoryBlockDevice(blockCount: 10)
        let cache = BlockCache(device: device, frames: machine.frames)
        device.failRead(number: 1)
        #expect(throws: KernelError.ioError) { try cache.withBlock(4) { $0[0] } }
        expectEqual(try cache.withBlock(4) { $0[0] }, 0)
        expectEqual(cache.count, 1)
    }
}
