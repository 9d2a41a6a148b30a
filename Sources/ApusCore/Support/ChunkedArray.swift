/// An array whose elements live in chunks of at most one page each: what the kernel keeps
/// in an array that a program can make long (a descriptor table of 1,024 slots, a process's
/// 1,024 thread statuses).
///
/// An ordinary array keeps its elements in one block, which grows by doubling: at 1,024
/// slots of 8 bytes a descriptor table is a block of three pages, and growing it asks for a
/// second, larger block while the first still exists. The kernel heap can always serve a
/// request of one page or less from any free page, but a run of several pages only where it
/// has one, and a heap that programs filled and emptied in turn may not. So this array never
/// asks for more than a page: it is a short list of chunks, each an ordinary array of at most
/// ``chunkCapacity`` elements (one page with the array's header), and a chunk that is full is
/// followed by a new one instead of being copied into a bigger block.
///
/// It is a value, like `Array` (copy on write). Elements that are removed leave their chunks
/// as they are except at the end (``removeLast()``), and nothing that removes allocates.
public struct ChunkedArray<Element>: RandomAccessCollection, MutableCollection {
    /// The first chunk, kept apart: most arrays never pass it, and reaching an element there
    /// is one array access, as in an ordinary array.
    private var first: [Element] = []
    /// The chunks after the first, each full but the last.
    private var rest: [[Element]] = []
    public private(set) var count = 0

    /// Elements per chunk: as many as one page holds beside an array's header.
    public static var chunkCapacity: Int {
        Swift.max(1, (Int(PageGeometry.pageSize) - HeapBudget.arrayHeaderBytes) / MemoryLayout<Element>.stride)
    }

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count, "ChunkedArray index out of range")
            if index < Self.chunkCapacity { return first[index] }
            let beyond = index - Self.chunkCapacity
            return rest[beyond / Self.chunkCapacity][beyond % Self.chunkCapacity]
        }
        set {
            precondition(index >= 0 && index < count, "ChunkedArray index out of range")
            if index < Self.chunkCapacity {
                first[index] = newValue
            } else {
                let beyond = index - Self.chunkCapacity
                rest[beyond / Self.chunkCapacity][beyond % Self.chunkCapacity] = newValue
            }
        }
    }

    /// Adds `element` at the end: into the first chunk, which grows by doubling up to
    /// ``chunkCapacity`` and never past it, or into the last chunk after it, each made with
    /// room for ``chunkCapacity`` elements when the one before is full.
    public mutating func append(_ element: Element) {
        let capacity = Self.chunkCapacity
        if count < capacity {
            if first.count == first.capacity { first.reserveCapacity(Swift.min(capacity, Swift.max(4, 2 * first.capacity))) }
            first.append(element)
        } else {
            if rest.isEmpty || rest[rest.count - 1].count == capacity {
                var chunk: [Element] = []
                chunk.reserveCapacity(capacity)
                rest.append(chunk)
            }
            rest[rest.count - 1].append(element)
        }
        count += 1
    }

    /// Removes and returns the last element; a chunk left empty goes. Allocates nothing.
    @discardableResult
    public mutating func removeLast() -> Element {
        precondition(count > 0, "removeLast of an empty ChunkedArray")
        count -= 1
        guard !rest.isEmpty else { return first.removeLast() }
        let element = rest[rest.count - 1].removeLast()
        if rest[rest.count - 1].isEmpty { rest.removeLast() }
        return element
    }

    /// Removes the element at `index` by moving the last element into its place (the order
    /// of the others changes); returns it. Allocates nothing.
    @discardableResult
    public mutating func swapRemove(at index: Int) -> Element {
        let element = self[index]
        let last = removeLast()
        if index < count { self[index] = last }
        return element
    }
}
