@testable import ApusCore
import Testing
#if canImport(Glibc)
/// glibc's size of the block behind `pointer` (malloc.h, which the Glibc module leaves out).
@_silgen_name("malloc_usable_size")
private func malloc_usable_size(_ pointer: UnsafeMutableRawPointer) -> Int
#elseif canImport(Darwin)
import Darwin
#endif

/// The kernel heap's budget (``HeapBudget``): every budget of a run at its worst, with the
/// boot's at its worst, fits the 48 MiB heap; each row is its limit times its blocks as the
/// heap rounds them; and the sizes the table relies on hold.
@Suite("The kernel heap's budget")
struct HeapBudgetTests {
    static let heapBytes = 48 << 20
    static let page = Int(PageGeometry.pageSize)

    static func row(_ name: String, in rows: [HeapBudget.Row]) -> HeapBudget.Row? {
        rows.first { "\($0.name)".hasPrefix(name) }
    }

    @Test func everyBudgetOfARunAtItsWorstFitsBesideTheBootAtItsWorst() {
        let run = HeapBudget.totalPages(HeapBudget.runRows), boot = HeapBudget.totalPages(HeapBudget.bootRows)
        let heap = Self.heapBytes / Self.page
        #expect(run + boot <= heap, "a run needs \(run) pages and the boot \(boot), of \(heap)")
        // The room left over is what a new subsystem's rows may take.
        #expect(heap - run - boot > 0)
    }

    @Test func eachRowIsItsLimitTimesItsBlocksAsTheHeapRoundsThem() {
        let rows = HeapBudget.runRows
        #expect(Self.row("regions", in: rows)?.worstCaseBytes == 131_072 * 128, "a region's node is a 128-byte block")
        #expect(Self.row("open files", in: rows)?.worstCaseBytes == 64 * 1024 * 64)
        #expect(Self.row("pipes", in: rows)?.worstCaseBytes == 1024 * (128 + 4096 + 2 * (64 + 64)), "a pipe's buffer is exactly one page")
        #expect(Self.row("threads", in: rows)?.worstCaseBytes == 128 * (256 + 16 + 512 + 64))
        #expect(Self.row("descriptor tables", in: rows)?.worstCaseBytes == 64 * (3 * Self.page + 64), "1,024 slots in three pages")
        #expect(Self.row("thread statuses", in: rows)?.worstCaseBytes == 64 * (5 * Self.page + 128), "1,024 statuses in five pages")
        #expect(Self.row("waiting threads", in: rows)?.worstCaseBytes == 128 * 2048)
        #expect(Self.row("kernel stacks", in: HeapBudget.bootRows)?.worstCaseBytes == 128 * 64 * 1024)
        #expect(Self.row("CPUs", in: HeapBudget.bootRows)?.worstCaseBytes == 16 * (64 + 64 + 16 + 2) * 1024,
                "16 CPUs, each with two 64 KiB stacks, a 16 KiB double-fault stack and 2 KiB of its own")
        #expect(Self.row("run queues", in: HeapBudget.bootRows)?.worstCaseBytes == 16 * 2048, "room for 128 threads and 64 taken slots")
    }

    @Test func blocksRoundAsTheHeapServesThem() {
        expectEqual([1, 16, 17, 100, 2048].map(HeapBudget.blockBytes), [16, 16, 32, 128, 2048])
        expectEqual([2049, 4096, 4097, 64 * 1024].map(HeapBudget.blockBytes), [4096, 4096, 8192, 64 * 1024])
    }

    @Test func aNewRowIsAddedToTheSumAndCanTipIt() {
        let rows = HeapBudget.runRows + [HeapBudget.Row("a cache's bookkeeping", count: 1000, blocks: [48, 4096])]
        #expect(HeapBudget.totalBytes(rows) == HeapBudget.totalBytes(HeapBudget.runRows) + 1000 * (64 + 4096))
        let tooMuch = HeapBudget.runRows + [HeapBudget.Row("too much", count: 1, blocks: [Self.heapBytes])]
        #expect(HeapBudget.totalPages(tooMuch) + HeapBudget.totalPages(HeapBudget.bootRows) > Self.heapBytes / Self.page)
    }

    @Test func noChunkOfAChunkedArrayPassesAPage() {
        expectEqual(ChunkedArray<OpenFile<HostMemory>?>.chunkCapacity, 508)
        #expect(ChunkedArray<OpenFile<HostMemory>?>.chunkCapacity * 8 + HeapBudget.arrayHeaderBytes <= Self.page)
        #expect(ChunkedArray<ThreadGroup.Member>.chunkCapacity * MemoryLayout<ThreadGroup.Member>.stride + HeapBudget.arrayHeaderBytes <= Self.page)
        expectEqual(HeapBudget.chunkPages(fileDescriptorLimit, of: UnsafeRawPointer?.self), 3)
        expectEqual(HeapBudget.chunkPages(ThreadGroup.memberLimit, of: ThreadGroup.Member.self), 5)
    }

    #if canImport(Glibc) || canImport(Darwin)
    /// The heap block an object of the host's allocator takes is at least its size: a
    /// declared size at least the block is at least the object.
    static func blockSize(of object: AnyObject) -> Int {
        let pointer = Unmanaged.passUnretained(object).toOpaque()
        #if canImport(Glibc)
        return malloc_usable_size(pointer)
        #else
        return malloc_size(pointer)
        #endif
    }

    @Test func theObjectsOfTheTableAreNoLargerThanItSays() {
        let pipe = PipeBuffer(budget: nil, wakeups: WakeupList())
        #expect(Self.blockSize(of: pipe) <= HeapBudget.pipeBytes)
        #expect(Self.blockSize(of: OpenFile<HostMemory>(.pipeReader(pipe))) <= HeapBudget.openFileBytes)
        #expect(Self.blockSize(of: pipe.readable) <= HeapBudget.conditionVariableBytes)
        #expect(Self.blockSize(of: pipe.readable.waiters) <= HeapBudget.waitQueueBytes)
    }

    /// The handles' row counts ``inodeHandleLimit`` of them: one more is refused, and a
    /// handle that goes makes room again.
    @Test func handlesPastTheLimitAreTooManyOpenFileUntilOneGoes() throws {
        let (_, fileSystem) = try freshFileSystem()
        var handles = (0..<inodeHandleLimit).map { _ in InodeHandle.root(of: fileSystem) }
        expectEqual(fileSystem.handleCount, inodeHandleLimit)
        expectError(.tooManyOpenFile) { () throws(KernelError) in try InodeHandle.open(path("/"), from: 1, in: fileSystem) }
        handles.removeLast()
        expectEqual(try InodeHandle.open(path("/"), from: 1, in: fileSystem).inode, 1)
        handles.removeAll()
        fileSystem.settleReleases()
        expectEqual(fileSystem.handleCount, 0)
    }

    @Test func anInodeHandleIsNoLargerThanTheTableSays() throws {
        let (_, fileSystem) = try freshFileSystem()
        let handle = InodeHandle.root(of: fileSystem)
        #expect(Self.blockSize(of: handle) <= HeapBudget.inodeHandleBytes)
    }
    #endif
}

/// ``ChunkedArray``: an array in chunks of at most a page, with the operations the file table
/// and the thread group use.
@Suite("Chunked arrays")
struct ChunkedArrayTests {
    @Test func itAgreesWithAnArrayAcrossChunks() {
        var chunked = ChunkedArray<Int>()
        var plain: [Int] = []
        let count = 3 * ChunkedArray<Int>.chunkCapacity + 7
        for value in 0..<count {
            chunked.append(value)
            plain.append(value)
        }
        expectEqual(Array(chunked), plain)
        chunked[count - 1] = -1
        plain[count - 1] = -1
        chunked.swapRemove(at: 5)
        plain.swapAt(5, plain.count - 1)
        plain.removeLast()
        for _ in 0..<ChunkedArray<Int>.chunkCapacity { expectEqual(chunked.removeLast(), plain.removeLast()) }
        expectEqual(Array(chunked), plain)
        #expect(chunked.firstIndex(of: 5) == nil && chunked.firstIndex(of: -1) == 5)
    }

    @Test func swapRemovingTheLastElementJustRemovesIt() {
        var chunked = ChunkedArray<Int>()
        for value in 0..<3 { chunked.append(value) }
        expectEqual(chunked.swapRemove(at: 2), 2)
        expectEqual(Array(chunked), [0, 1])
    }
}
