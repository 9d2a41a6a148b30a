import ApusCore
import Testing

/// The pipe's ring buffer: bytes come out in the order they went in, however reads and writes
/// interleave, and the pipe never holds more than its capacity.
@Suite("PipeBuffer (ring buffer)")
struct PipeTests {
    /// Writes `bytes` into `pipe`; returns how many it took.
    static func put(_ bytes: [UInt8], into pipe: PipeBuffer) -> Int {
        bytes.withUnsafeBytes { pipe.put($0) }
    }

    /// Takes up to `count` bytes out of `pipe`.
    static func take(_ count: Int, from pipe: PipeBuffer) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { pipe.take(into: $0) }
        return Array(buffer[..<got])
    }

    @Test func aWriteTakesWhatFitsAndAReadTakesWhatIsThere() {
        let pipe = PipeBuffer()
        expectEqual(Self.put(Array(repeating: 7, count: 5000), into: pipe), PipeBuffer.capacity)
        expectEqual(pipe.available, PipeBuffer.capacity)
        expectEqual(pipe.freeSpace, 0)
        expectEqual(Self.put([1], into: pipe), 0, "a full pipe takes nothing")
        expectEqual(Self.take(10, from: pipe), Array(repeating: 7, count: 10))
        expectEqual(Self.put([1, 2, 3], into: pipe), 3, "the room a read made is reused at once")
        #expect(Self.take(5000, from: pipe).count == PipeBuffer.capacity - 7)
        #expect(Self.take(5, from: pipe).isEmpty)
        #expect(Self.take(0, from: pipe).isEmpty)
        expectEqual(Self.put([], into: pipe), 0)
    }

    /// The producer and consumer that once grew the pipe without bound: the pipe is filled,
    /// then read and written 4095 bytes at a time, so it never empties (5,000 rounds; 20,000
    /// in the long tier).
    @Test func aPipeThatNeverEmptiesStaysWithinItsCapacityAndInOrder() {
        let pipe = PipeBuffer()
        var next: UInt8 = 0
        func chunk(_ count: Int) -> [UInt8] {
            defer { next &+= UInt8(truncatingIfNeeded: count) }
            return countingBytes(from: next, count: count)
        }
        var expected: UInt8 = 0
        expectEqual(Self.put(chunk(4096), into: pipe), 4096)
        for round in 0..<TestTier.count(short: 5_000, long: 20_000) {
            let out = Self.take(4095, from: pipe)
            guard sameBytes(out, countingBytes(from: expected, count: 4095)) else {
                Issue.record("round \(round): \(out.count) bytes read, not the 4095 due from \(expected) on")
                return
            }
            expected &+= UInt8(truncatingIfNeeded: 4095)
            expectEqual(Self.put(chunk(4095), into: pipe), 4095)
            #expect(pipe.available <= PipeBuffer.capacity)
        }
    }

    /// Random interleavings of reads and writes of random sizes against a plain array as the
    /// model: the same counts, the same bytes, after every step (5,000 steps a seed; 20,000 in
    /// the long tier).
    @Test(arguments: [1 as UInt64, 2, 3, 4])
    func randomReadsAndWritesAgreeWithAQueue(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let pipe = PipeBuffer()
        var model: [UInt8] = []
        var counter: UInt8 = 0
        for step in 0..<TestTier.count(short: 5_000, long: 20_000) {
            let size = Int(random.next() % 3) == 0 ? Int(random.next() % 8) : Int(random.next() % 6000)
            if random.next() % 2 == 0 {
                let bytes = countingBytes(from: counter, count: size)
                counter &+= UInt8(truncatingIfNeeded: size)
                let took = Self.put(bytes, into: pipe)
                expectEqual(took, min(size, PipeBuffer.capacity - model.count), "step \(step)")
                model += bytes[..<took]
            } else {
                let out = Self.take(size, from: pipe)
                let due = Array(model.prefix(size))
                model.removeFirst(due.count)
                guard sameBytes(out, due) else {
                    Issue.record("step \(step): read \(out.count) bytes that differ from the \(due.count) due")
                    return
                }
            }
            expectEqual(pipe.available, model.count)
            #expect(pipe.freeSpace == PipeBuffer.capacity - model.count)
        }
    }
}
