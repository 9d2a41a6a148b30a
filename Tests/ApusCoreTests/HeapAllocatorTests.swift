@testable import ApusCore
import Testing

/// The kernel heap's allocator, on a region of host memory.
@Suite("Heap allocator")
struct HeapAllocatorTests {
    /// A heap over `pages` fresh pages; `body` gets it and the region's bounds.
    static func withHeap(pages: Int = 64, _ body: (HeapAllocator, UnsafeMutableRawPointer) throws -> Void) rethrows {
        let region = UnsafeMutableRawPointer.allocate(byteCount: pages * 4096, alignment: 4096)
        defer { region.deallocate() }
        try body(HeapAllocator(base: region, byteCount: pages * 4096), region)
    }

    @Test func blocksAreAlignedDistinctAndInsideTheRegion() {
        Self.withHeap { heap, region in
            var blocks: [(UnsafeMutableRawPointer, Int)] = []
            for (size, alignment) in [(1, 8), (16, 16), (24, 8), (100, 64), (2048, 8), (2049, 8), (5000, 4096), (8, 4096)] {
                let block = heap.allocate(byteCount: size, alignment: alignment)!
                #expect(Int(bitPattern: block) % alignment == 0)
                #expect(block >= region && block + size <= region + 64 * 4096)
                for (other, otherSize) in blocks {
                    #expect(block + size <= other || other + otherSize <= block, "blocks overlap")
                }
                block.initializeMemory(as: UInt8.self, repeating: 0xAA, count: size)
                blocks.append((block, size))
            }
            for (block, _) in blocks { heap.free(block) }
            expectEqual(heap.bytesInUse, 0)
        }
    }

    @Test func freedMemoryIsReusedSoALongRunDoesNotGrow() {
        Self.withHeap { heap, _ in
            for _ in 0..<3 {
                let blocks = (0..<100).map { heap.allocate(byteCount: 40 + $0 % 3 * 100, alignment: 8)! }
                blocks.forEach(heap.free)
            }
            let free = heap.freePages
            for round in 0..<10_000 {
                let a = heap.allocate(byteCount: 48, alignment: 8)!
                let b = heap.allocate(byteCount: 3000 + round % 5000, alignment: 16)!
                heap.free(a)
                heap.free(b)
            }
            expectEqual(heap.freePages, free)
            expectEqual(heap.bytesInUse, 0)
        }
    }

    @Test func exhaustionAnswersNilAndRecovers() {
        Self.withHeap(pages: 8) { heap, _ in
            var blocks: [UnsafeMutableRawPointer] = []
            while let block = heap.allocate(byteCount: 4096, alignment: 8) { blocks.append(block) }
            expectEqual(blocks.count, 7, "one page holds the bookkeeping")
            expectEqual(heap.allocate(byteCount: 16, alignment: 8), nil)
            heap.free(blocks.removeLast())
            #expect(heap.allocate(byteCount: 16, alignment: 8) != nil)
        }
    }

    @Test func impossibleRequestsAnswerNil() {
        Self.withHeap { heap, _ in
            expectEqual(heap.allocate(byteCount: 8, alignment: 8192), nil)
            expectEqual(heap.allocate(byteCount: 8, alignment: 24), nil)
            expectEqual(heap.allocate(byteCount: 1 << 40, alignment: 8), nil)
            expectEqual(heap.allocate(byteCount: Int.max, alignment: 8), nil)
            expectEqual(heap.allocate(byteCount: -1, alignment: 8), nil)
        }
    }

    @Test func sizeClassesArePowersOfTwoFrom16To2048() {
        expectEqual(HeapAllocator.sizeClass(for: 1), 0)
        expectEqual(HeapAllocator.sizeClass(for: 16), 0)
        expectEqual(HeapAllocator.sizeClass(for: 17), 1)
        expectEqual(HeapAllocator.sizeClass(for: 2048), 7)
    }

    @Test func severalPagesComeFromTheTopAndAPageOrLessFromTheBottom() {
        Self.withHeap { heap, region in
            expectEqual(heap.pagesBetweenFronts, 63, "one page of bookkeeping, the rest free")
            let big = heap.allocate(byteCount: 3 * 4096, alignment: 16)!
            #expect(big == region + 61 * 4096, "the highest run that fits")
            let page = heap.allocate(byteCount: 4096, alignment: 16)!
            #expect(page == region + 4096, "the lowest free page")
            let small = heap.allocate(byteCount: 40, alignment: 8)!
            #expect(small >= region + 2 * 4096 && small < region + 3 * 4096, "a small block's page is the next lowest")
            #expect(heap.pagesBetweenFronts == 61 - 3)
            [big, page, small].forEach(heap.free)
        }
    }

    /// The two ends of the header: blocks of a page or less, in any order of coming and
    /// going, never fail while what they hold (rounded, with a partly filled page per size)
    /// stays within the room between the ends less one operation's passing several-page
    /// blocks; and those passing blocks never fail either.
    @Test(arguments: [1 as UInt64, 2, 3])
    func blocksWithinTheirBudgetNeverFailWhateverTheOrder(seed: UInt64) {
        Self.withHeap(pages: 256) { heap, _ in
            var random = SeededRandom(seed: seed)
            // What the boot keeps for good: blocks of several pages, at the top.
            let boot = [5, 9, 3].map { heap.allocate(byteCount: $0 * 4096, alignment: 16)! }
            let passingPages = 8
            let budget = (heap.pagesBetweenFronts - passingPages - HeapAllocator.sizeClassCount) * 4096
            var live: [(UnsafeMutableRawPointer, Int)] = []
            var held = 0
            for step in 0..<20_000 {
                if step % 50 == 49 {
                    // One operation: passing blocks of several pages, freed before it is over.
                    var left = passingPages, passing: [UnsafeMutableRawPointer] = []
                    while left >= 2 {
                        let pages = Int.random(in: 2...left, using: &random)
                        guard let block = heap.allocate(byteCount: pages * 4096 - 100, alignment: 16) else {
                            Issue.record("step \(step): a passing block of \(pages) pages failed")
                            return
                        }
                        passing.append(block)
                        left -= pages
                    }
                    passing.forEach(heap.free)
                } else if Bool.random(using: &random) || live.isEmpty {
                    let size = Bool.random(using: &random) ? Int.random(in: 1...2048, using: &random) : Int.random(in: 2049...4096, using: &random)
                    let rounded = HeapBudget.blockBytes(size)
                    guard held + rounded <= budget else { continue }
                    guard let block = heap.allocate(byteCount: size, alignment: 8) else {
                        Issue.record("step \(step): \(size) bytes failed with \(held) of \(budget) held")
                        return
                    }
                    live.append((block, rounded))
                    held += rounded
                } else {
                    let (block, rounded) = live.remove(at: Int.random(in: 0..<live.count, using: &random))
                    heap.free(block)
                    held -= rounded
                }
            }
            live.forEach { heap.free($0.0) }
            boot.forEach(heap.free)
            expectEqual(heap.bytesInUse, 0)
        }
    }

    @Test func freeingAForeignPointerStopsTheKernel() async {
        await #expect(processExitsWith: .failure) {
            let region = UnsafeMutableRawPointer.allocate(byteCount: 16 * 4096, alignment: 4096)
            let heap = HeapAllocator(base: region, byteCount: 16 * 4096)
            let block = heap.allocate(byteCount: 32, alignment: 8)!
            heap.free(block + 8)
        }
    }
}
