import ApusCore
import Testing

@Suite("Frame allocator")
struct FrameAllocatorTests {
    @Test func countsItsOwnBookkeepingOut() {
        let memory = HostMemory(byteCount: 4 << 20)
        let frames = FrameAllocator(memory: memory, range: memory.range)
        // 1024 frames need 4 KiB of share counts: one frame.
        expectEqual(frames.totalCount, 1023)
        expectEqual(frames.freeCount, 1023)
        expectEqual(frames.usedCount, 0)
        expectEqual(frames.managed.start, memory.range.start.advanced(by: 0x1000))
    }

    @Test func handsOutZeroedDistinctAlignedFrames() {
        withMachine { machine in
            let frames = machine.frames
            var seen: Set<PhysicalAddress> = []
            for _ in 0..<100 {
                let frame = frames.allocate()!
                #expect(frame.isPageAligned)
                #expect(frames.managed.contains(frame))
                #expect(seen.insert(frame).inserted)
                #expect(machine.memory.page(at: frame).allSatisfy { $0 == 0 })
                machine.memory.page(at: frame).initializeMemory(as: UInt8.self, repeating: 0xAB)
            }
            expectEqual(frames.usedCount, 100)
            for frame in seen { frames.free(frame) }
            // Recycled frames come back zeroed, not with the old owner's bytes.
            for _ in 0..<100 {
                let frame = frames.allocate()!
                #expect(machine.memory.page(at: frame).allSatisfy { $0 == 0 })
                frames.free(frame)
            }
        }
    }

    @Test func runsOutAndRecovers() {
        let memory = HostMemory(byteCount: 64 << 12)
        let frames = FrameAllocator(memory: memory, range: memory.range)
        var taken: [PhysicalAddress] = []
        while let frame = frames.allocate() { taken.append(frame) }
        expectEqual(taken.count, frames.totalCount)
        expectEqual(frames.freeCount, 0)
        frames.free(taken.removeLast())
        #expect(frames.allocate() != nil)
        expectEqual(frames.allocate(), nil)
    }

    @Test func failsExactlyTheAllocationItWasToldTo() {
        withMachine { machine in
            let frames = machine.frames
            frames.failAllocation(after: 2)
            let first = frames.allocate()
            let second = frames.allocate()
            let third = frames.allocate()
            let fourth = frames.allocate()
            #expect(first != nil && second != nil && third == nil && fourth != nil)
            for frame in [first, second, fourth].compactMap({ $0 }) { frames.free(frame) }

            frames.failAllocation(after: 0)
            frames.cancelInjectedFailure()
            let frame = frames.allocate()
            #expect(frame != nil)
            frames.free(frame!)
        }
    }

    @Test func aFrameGivenBackZeroedIsHandedOutFirstWithoutZeroingAndHoldsOnlyZeros() {
        withMachine { machine in
            let frames = machine.frames
            let dirty = frames.allocate()!, clean = frames.allocate()!
            machine.memory.page(at: dirty)[100] = 7
            frames.free(dirty)
            frames.share(clean)
            frames.freeZeroed(clean)
            expectEqual(frames.shareCount(of: clean), 1, "a shared frame only loses a share")
            frames.freeZeroed(clean)
            let reused = frames.zeroedReuseCount
            expectEqual(frames.allocate(), clean, "the zeroed frame comes first")
            #expect(frames.zeroedReuseCount == reused + 1)
            #expect(machine.memory.page(at: clean).allSatisfy { $0 == 0 }, "the list's link is cleared too")
            expectEqual(frames.allocate(), dirty)
            #expect(frames.zeroedReuseCount == reused + 1, "a frame from the other list is zeroed")
            #expect(machine.memory.page(at: dirty).allSatisfy { $0 == 0 })
            frames.free(clean)
            frames.free(dirty)
        }
    }

    @Test func pageTablesLeftEmptyByAnUnmapAreReusedWithoutZeroing() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            let page = VirtualAddress(0x1000_0000)
            try table.map(page, to: machine.frames.allocate()!, permission: [.read, .write, .user])
            table.unmapAll(in: VirtualRange(start: page, end: VirtualAddress(0x1000_1000)))
            let reused = machine.frames.zeroedReuseCount
            try table.map(page, to: machine.frames.allocate()!, permission: [.read, .write, .user])
            #expect(machine.frames.zeroedReuseCount == reused + 3, "the three tables that went empty are handed out again (as the page and two tables) without zeroing")
            #expect(try table.walk(page).isPresent)
        }
    }

    @Test func sharedFramesAreFreedByTheirLastOwner() {
        withMachine { machine in
            let frames = machine.frames
            let frame = frames.allocate()!
            frames.share(frame)
            frames.share(frame)
            expectEqual(frames.shareCount(of: frame), 3)
            frames.free(frame)
            frames.free(frame)
            expectEqual(frames.shareCount(of: frame), 1)
            #expect(frames.freeCount == machine.baseline - 1)
            frames.free(frame)
            expectEqual(frames.shareCount(of: frame), 0)
        }
    }

    @Test func freeingAFrameTwiceStopsTheKernel() async {
        await #expect(processExitsWith: .failure) {
            let memory = HostMemory(byteCount: 1 << 20)
            let frames = FrameAllocator(memory: memory, range: memory.range)
            let frame = frames.allocate()!
            frames.free(frame)
            frames.free(frame)
        }
    }

    @Test func freeingAForeignAddressStopsTheKernel() async {
        await #expect(processExitsWith: .failure) {
            let memory = HostMemory(byteCount: 1 << 20)
            let frames = FrameAllocator(memory: memory, range: memory.range)
            frames.free(PhysicalAddress(0x10))
        }
    }
}
