import ApusCore
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
            #expect(heap.bytesInUse == 0)
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
            #expect(heap.freePages == free)
            #expect(heap.bytesInUse == 0)
        }
    }

    @Test func exhaustionAnswersNilAndRecovers() {
        Self.withHeap(pages: 8) { heap, _ in
            var blocks: [UnsafeMutableRawPointer] = []
            while let block = heap.allocate(byteCount: 4096, alignment: 8) { blocks.append(block) }
            #expect(blocks.count == 7, "one page holds the bookkeeping")
            #expect(heap.allocate(byteCount: 16, alignment: 8) == nil)
            heap.free(blocks.removeLast())
            #expect(heap.allocate(byteCount: 16, alignment: 8) != nil)
        }
    }

    @Test func impossibleRequestsAnswerNil() {
        Self.withHeap { heap, _ in
            #expect(heap.allocate(byteCount: 8, alignment: 8192) == nil)
            #expect(heap.allocate(byteCount: 8, alignment: 24) == nil)
            #expect(heap.allocate(byteCount: 1 << 40, alignment: 8) == nil)
            #expect(heap.allocate(byteCount: Int.max, alignment: 8) == nil)
            #expect(heap.allocate(byteCount: -1, alignment: 8) == nil)
        }
    }

    @Test func sizeClassesArePowersOfTwoFrom16To2048() {
        #expect(HeapAllocator.sizeClass(for: 1) == 0)
        #expect(HeapAllocator.sizeClass(for: 16) == 0)
        #expect(HeapAllocator.sizeClass(for: 17) == 1)
        #expect(HeapAllocator.sizeClass(for: 2048) == 7)
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
