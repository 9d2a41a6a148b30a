import ApusCore
import Testing

/// A frame taken from an address space goes back to the allocator only after its
/// translation was invalidated (on every CPU, ABI.md §8): until then another CPU may still
/// reach it through its TLB.
@Suite("Frames taken away are freed only after their translations are gone")
struct TLBShootdownOrderTests {
    static let base: UInt64 = 0x4000_0000
    static let rw: Permission = [.read, .write, .user]

    /// Maps `pages` fresh frames at ``base`` and returns them.
    static func mapPages(_ pages: Int, in table: inout PageTable<HostMemory>, _ machine: TestMachine) throws -> [PhysicalAddress] {
        var frames: [PhysicalAddress] = []
        for index in 0..<pages {
            let frame = machine.frames.allocate()!
            frames.append(frame)
            try table.map(VirtualAddress(Self.base + UInt64(index) * 0x1000), to: frame, permission: Self.rw)
        }
        return frames
    }

    @Test(arguments: [3, TranslationFlush<HostMemory>.ceiling + 5])
    func unmapAllFreesTheFramesAfterTheInvalidation(pages: Int) throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            let frames = try Self.mapPages(pages, in: &table, machine)
            var stillOwnedAtInvalidation: [Bool] = []
            machine.memory.onInvalidation = {
                stillOwnedAtInvalidation.append(frames.allSatisfy { machine.frames.shareCount(of: $0) == 1 })
            }
            table.unmapAll(in: VirtualRange(Self.base, pages: UInt64(pages)))
            machine.memory.onInvalidation = nil
            #expect(!stillOwnedAtInvalidation.isEmpty && stillOwnedAtInvalidation.allSatisfy { $0 },
                    "every frame was still owned when its translation was invalidated")
            #expect(frames.allSatisfy { machine.frames.shareCount(of: $0) == 0 }, "and free afterwards")
        }
    }

    @Test func pastTheHeldFramesAWholeFlushLetsThemGoAndTheOperationGoesOn() throws {
        try withMachine { machine in
            let limit = TranslationFlush<HostMemory>.heldFrameLimit
            var table = try machine.pageTable()
            let frames = try Self.mapPages(limit + 10, in: &table, machine)
            var freedAtInvalidation: [Int] = []
            machine.memory.onInvalidation = {
                freedAtInvalidation.append(frames.count { machine.frames.shareCount(of: $0) == 0 })
            }
            let whole = machine.memory.wholeInvalidations
            table.unmapAll(in: VirtualRange(Self.base, pages: UInt64(frames.count)))
            machine.memory.onInvalidation = nil
            expectEqual(freedAtInvalidation.first, 0, "the first frames held went only after a whole flush")
            #expect(machine.memory.wholeInvalidations == whole + 1, "one whole flush for the frames held, then the rest one by one")
            #expect(freedAtInvalidation.count > 1 && freedAtInvalidation.dropFirst().allSatisfy { $0 == limit },
                    "the frames after them were still owned when their translations went")
            #expect(frames.allSatisfy { machine.frames.shareCount(of: $0) == 0 }, "and free afterwards")
        }
    }

    @Test func aCopyOnWriteCopyDropsTheOriginalsShareOnlyAfterTheInvalidation() throws {
        try withMachine { machine in
            var parent = try machine.addressSpace()
            let address = try parent.mmap(at: VirtualAddress(Self.base), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&parent, [1, 2, 3], at: address.raw)
            var child = try parent.fork()
            let original = try parent.pageTable.walk(address).frame
            expectEqual(machine.frames.shareCount(of: original), 2)
            var sharesAtInvalidation: [Int] = []
            machine.memory.onInvalidation = { sharesAtInvalidation.append(machine.frames.shareCount(of: original)) }
            try writeUser(&child, [9], at: address.raw)
            machine.memory.onInvalidation = nil
            expectEqual(sharesAtInvalidation.first, 2, "the child still held its share when its translation went")
            expectEqual(machine.frames.shareCount(of: original), 1)
            expectEqual(try userBytes(&parent, at: address.raw, count: 3), [1, 2, 3])
            _ = consume child
        }
    }
}
