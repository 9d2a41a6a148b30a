@testable import ApusCore
import Testing

@Suite("Address map (AVL tree of regions)")
struct AddressMapTests {
    @Test func removingEntriesAllocatesNothingAndKeepsTheRestFindable() {
        var map = AddressMap<Int>()
        for key in 0..<20_000 { map.insert(key, at: UInt64(key) * 0x2000) }
        expectEqual(map.nodeAllocations, 20_000, "one node per entry")
        for key in 10..<20_000 { map.remove(at: UInt64(key) * 0x2000) }
        expectEqual(map.nodeAllocations, 20_000, "a removal only frees")
        expectEqual(map.count, 10)
        expectEqual(map.invariantViolation(), nil)
        for key in 0..<10 { expectEqual(map.value(at: UInt64(key) * 0x2000), key) }
        for key in 0..<10 { map.remove(at: UInt64(key) * 0x2000) }
        let isEmpty = map.isEmpty, allocations = map.nodeAllocations
        #expect(isEmpty && allocations == 20_000)
    }

    @Test func removalsKeepEveryOtherEntryAndTheTreeBalanced() {
        var map = AddressMap<Int>()
        for key in 0..<3000 { map.insert(key, at: UInt64(key * 7919 % 3001)) }
        for key in stride(from: 0, to: 3000, by: 1) where key % 3 != 0 {
            expectEqual(map.remove(at: UInt64(key * 7919 % 3001)), key)
        }
        expectEqual(map.invariantViolation(), nil)
        for key in stride(from: 0, to: 3000, by: 3) { expectEqual(map.value(at: UInt64(key * 7919 % 3001)), key) }
    }

    @Test func aCopyHasTheSameEntriesInNodesOfItsOwn() {
        var map = AddressMap<String>()
        for key: UInt64 in [0x5000, 0x1000, 0x3000, 0x9000] { map.insert("\(key)", at: key) }
        var copy = map.copy()
        #expect(copy.count == 4 && copy.nodeAllocations == 4)
        expectEqual(copy.invariantViolation(), nil)
        copy.remove(at: 0x3000)
        copy.insert("new", at: 0x7000)
        #expect(map.value(at: 0x3000) == "12288" && map.value(at: 0x7000) == nil, "the original is untouched")
        var keys: [UInt64] = []
        copy.forEach { key, _ in keys.append(key) }
        expectEqual(keys, [0x1000, 0x5000, 0x7000, 0x9000])
    }

    @Test func aNodeIsOneSmallBlockOfTheKernelHeap() {
        expectEqual(HeapBudget.blockBytes(AddressMap<Region>.nodeBytes), 128)
    }

    @Test func emptyMapFindsNothing() {
        let map = AddressMap<Int>()
        let isEmpty = map.isEmpty
        #expect(isEmpty)
        #expect(map.floor(10) == nil)
        #expect(map.ceiling(10) == nil)
        expectEqual(map.value(at: 10), nil)
    }

    @Test func floorAndCeilingFindTheNeighbours() {
        var map = AddressMap<String>()
        for key: UInt64 in [0x3000, 0x1000, 0x5000] { map.insert("\(key)", at: key) }
        #expect(map.floor(0x0FFF) == nil)
        expectEqual(map.floor(0x1000)?.key, 0x1000)
        expectEqual(map.floor(0x2FFF)?.key, 0x1000)
        expectEqual(map.floor(UInt64.max)?.key, 0x5000)
        expectEqual(map.ceiling(0x1001)?.key, 0x3000)
        #expect(map.ceiling(0x5001) == nil)
        expectEqual(map.value(at: 0x3000), "12288")
    }

    @Test func removeReturnsTheValueOnce() {
        var map = AddressMap<Int>()
        map.insert(7, at: 1)
        expectEqual(map.remove(at: 1), 7)
        expectEqual(map.remove(at: 1), nil)
        expectEqual(map.count, 0)
    }

    /// Random insertions and removals against a plain sorted array, checking the AVL
    /// invariants and every query after each step.
    @Test(arguments: [1 as UInt64, 2, 3])
    func agreesWithASortedArray(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var map = AddressMap<UInt64>()
        var reference: [UInt64] = []
        for step in 0..<4000 {
            let key = UInt64.random(in: 0..<600, using: &random) * 0x1000
            if let index = reference.firstIndex(of: key) {
                expectEqual(map.remove(at: key), key &* 3)
                reference.remove(at: index)
            } else {
                map.insert(key &* 3, at: key)
                reference.append(key)
                reference.sort()
            }
            if let violation = map.invariantViolation() {
                Issue.record("step \(step): \(violation)")
                return
            }
            let probe = UInt64.random(in: 0..<(601 * 0x1000), using: &random)
            expectEqual(map.floor(probe)?.key, reference.last { $0 <= probe })
            expectEqual(map.ceiling(probe)?.key, reference.first { $0 >= probe })
        }
        var ordered: [UInt64] = []
        map.forEach { key, value in
            ordered.append(key)
            expectEqual(value, key &* 3)
        }
        expectEqual(ordered, reference)
    }

    @Test func aHundredThousandEntriesStayShallow() {
        var map = AddressMap<Int>()
        // Ascending keys are the worst case for an unbalanced tree.
        for index in 0..<100_000 { map.insert(index, at: UInt64(index) * 0x2000) }
        expectEqual(map.invariantViolation(), nil)
        #expect(map.height <= 25, "AVL height is at most 1.44 log2(n)")
        for index in stride(from: 0, to: 100_000, by: 2) { map.remove(at: UInt64(index) * 0x2000) }
        expectEqual(map.invariantViolation(), nil)
        expectEqual(map.count, 50_000)
        expectEqual(map.floor(0x4001)?.value, 1)
    }
}
