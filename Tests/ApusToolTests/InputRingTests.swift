import ApusCore
@testable import ApusTool
import Foundation
import Testing

/// The host half of streamed standard input (InputRing.swift), with this test playing the
/// kernel: it announces the ring with a status record and takes bytes out of the ring the
/// way input_ring.c does, as slowly as it likes.
@Suite("Input ring: streaming standard input into the machine")
struct InputRingTests {
    static let ringBase: UInt64 = 0x10_0000, ringSize: UInt64 = 4096

    /// A shared RAM file, a status file announcing a ring of `ringSize` bytes, and a pipe
    /// standing in for standard input.
    final class Rig: @unchecked Sendable {
        let ram: SharedRAM
        let folder: TemporaryFolder
        let statusPath: String
        let input: Foundation.Pipe

        init() throws {
            ram = try SharedRAM(byteCount: 4 << 20)
            folder = try TemporaryFolder()
            statusPath = folder.url.appendingPathComponent("status").path
            let record = RunRecord(kind: .inputRing, first: Int64(InputRingTests.ringBase), second: Int64(InputRingTests.ringSize))
            try Data(record.bytes).write(to: URL(fileURLWithPath: statusPath))
            input = Foundation.Pipe()
        }

        var written: UInt64 { ram.readWord(at: InputRingTests.ringBase) }
        var ended: Bool { ram.readWord(at: InputRingTests.ringBase + 16) == 1 }

        /// Takes what the ring holds, as the kernel does; returns the bytes.
        func take() -> [UInt8] {
            let written = self.written, read = ram.readWord(at: InputRingTests.ringBase + 8)
            guard written > read else { return [] }
            var bytes: [UInt8] = []
            var next = read
            while next < written {
                let at = next % InputRingTests.ringSize
                let count = min(written - next, InputRingTests.ringSize - at)
                bytes += ram.read(at: InputRingTests.ringBase + 64 + at, count: Int(count))
                next += count
            }
            ram.writeWord(next, at: InputRingTests.ringBase + 8)
            return bytes
        }
    }

    @Test func everyByteArrivesInOrderThroughARingSmallerThanTheInputAndTheEndIsMarked() throws {
        let rig = try Rig()
        let writer = InputRingWriter(ram: rig.ram, statusPath: rig.statusPath, descriptor: rig.input.fileHandleForReading.fileDescriptor)
        let sent = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7 ^ $0 >> 8) }
        let feeder = Thread {
            rig.input.fileHandleForWriting.write(Data(sent))
            try? rig.input.fileHandleForWriting.close()
        }
        feeder.start()
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(60)
        while !(rig.ended && rig.written == UInt64(received.count)), Date() < deadline {
            // Never more than the ring's size in flight: the writer waits for room.
            #expect(rig.written - UInt64(received.count) <= InputRingTests.ringSize)
            received += rig.take()
            usleep(200)
        }
        writer.finish()
        expectEqual(received, sent)
        #expect(rig.ended)
    }

    @Test func nothingIsWrittenBeforeTheKernelAnnouncesTheRingAndFinishReturnsWhileInputIsOpen() throws {
        let rig = try Rig()
        try FileManager.default.removeItem(atPath: rig.statusPath)
        try Data().write(to: URL(fileURLWithPath: rig.statusPath))
        rig.input.fileHandleForWriting.write(Data("early".utf8))
        let writer = InputRingWriter(ram: rig.ram, statusPath: rig.statusPath, descriptor: rig.input.fileHandleForReading.fileDescriptor)
        usleep(50_000)
        expectEqual(rig.written, 0)
        // The ring appears; the input stays open (a terminal nobody types at).
        let record = RunRecord(kind: .inputRing, first: Int64(InputRingTests.ringBase), second: Int64(InputRingTests.ringSize))
        try Data(record.bytes).write(to: URL(fileURLWithPath: rig.statusPath))
        let deadline = Date().addingTimeInterval(60)
        while rig.written < 5, Date() < deadline { usleep(1000) }
        expectEqual(rig.take(), Array("early".utf8))
        writer.finish() // must not wait for input that never comes
        #expect(!rig.ended, "the input did not end: the machine stopped")
    }
}
