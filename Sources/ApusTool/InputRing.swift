import ApusCore
import Foundation

/// Streams this process's standard input (a terminal, a pipe, a file) into the kernel's
/// input ring while the machine runs, the mirror image of ``OutputRingReader``.
///
/// It waits for the kernel's `inputRing` status record, then reads its descriptor a chunk
/// at a time and copies each chunk into the ring (in the machine's RAM file) as room frees
/// up, moving the ring's `written` counter on; at the end of the input (Ctrl-D at a
/// terminal, the end of a file or pipe, a read error) it sets `ended`. It never holds more
/// than one chunk: input of any size streams through in bounded memory, and a program that
/// stops reading stops the reading here too (the ring fills, the tool waits). From a
/// terminal in canonical mode a read returns one line as the user ends it, so each line
/// reaches the program as it is typed, after the terminal's own editing.
///
/// Ctrl-C goes through the ring too, where the input is a terminal: the tool's own SIGINT
/// asks ``passInterrupt()``, which counts the press in the ring's `interrupts` while the
/// kernel says it takes them (`takes_interrupts`: a Linux program leads the run, and its
/// foreground process group gets SIGINT); otherwise the press ends the run, as always.
/// Ctrl-Z likewise: counted in `suspensions` (``passSuspension()``) for SIGTSTP, or it stops
/// the whole machine with the tool.
///
/// The other way, a Linux program's terminal modes (``TerminalModes``: a shell's line
/// editor turns canonical input, echo and the signal keys off) come in `terminal_modes`, and
/// a writer that streams a terminal makes it follow them (``Terminal/follow(_:_:)``), looking
/// every ``terminalLookMilliseconds`` and before the program's output is written
/// (``followTerminalModes()``).
///
/// While a Linux program leads the run, an end of file typed at the terminal (Ctrl-D on an
/// empty line) ends one read, as on Linux, not the whole input: it goes in as a mark
/// (`end_of_file`) and the writer reads on once the kernel has taken it.
///
/// The layout is input_ring.c's: `written` at 0, `read` at 8, `ended` at 16, `interrupts`
/// at 24, `takes_interrupts` at 32, `terminal_modes` at 40, `end_of_file` at 48, `suspensions`
/// at 56, data from 64.
final class InputRingWriter: @unchecked Sendable {
    /// Bytes read from the descriptor at once, at most.
    static let chunkSize = 1 << 16

    private let ram: SharedRAM
    private let statusPath: String
    private let descriptor: Int32
    private let worker = MachineWorker()
    /// A pipe whose write end ``finish()`` closes: it wakes a wait for input at once, so the
    /// end of a run never waits for the next poll.
    private let wakeUp: (read: Int32, write: Int32)

    private static let writtenOffset: UInt64 = 0, readOffset: UInt64 = 8, endedOffset: UInt64 = 16, dataOffset: UInt64 = 64
    private static let interruptsOffset: UInt64 = 24, takesInterruptsOffset: UInt64 = 32, modesOffset: UInt64 = 40
    private static let endOfFileOffset: UInt64 = 48, suspensionsOffset: UInt64 = 56
    /// How often a writer that streams a terminal looks at the modes the program asks for:
    /// often enough that the first key typed at a new prompt finds them.
    static let terminalLookMilliseconds: Int32 = 10
    /// Whether the descriptor is a terminal (which Ctrl-C and the program's modes concern).
    private let readsTerminal: Bool
    /// Where the ring starts in the RAM file, once the kernel has said.
    private let ringBase = LockedValue<UInt64?>(nil)
    /// The writers that stream a terminal now: the ones Ctrl-C may go through.
    private static let fromTerminals = LockedValue<[InputRingWriter]>([])
    /// How long one wait for input lasts before the writer looks again whether the machine
    /// stopped (``finish()`` also wakes it at once).
    private static let pollMilliseconds: Int32 = 100

    init(ram: SharedRAM, statusPath: String, descriptor: Int32) {
        self.ram = ram
        self.statusPath = statusPath
        self.descriptor = descriptor
        readsTerminal = isatty(descriptor) != 0
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        }
        wakeUp = (ends[0], ends[1])
        worker.start { [self] in stream() }
        if readsTerminal { Self.fromTerminals.update { $0.append(self) } }
    }

    /// Once QEMU has exited: stops and returns. Input not yet read stays unread.
    func finish() {
        Self.fromTerminals.update { $0.removeAll { $0 === self } }
        worker.stop()
        if wakeUp.write >= 0 { close(wakeUp.write) }
        worker.join()
        if wakeUp.read >= 0 { close(wakeUp.read) }
    }

    private var stopped: Bool { worker.stopped }

    private func stream() {
        var location = ram.ringLocation(announcedIn: statusPath, kind: .inputRing, rings: 1)
        while location == nil {
            if stopped { return }
            usleep(2_000)
            location = ram.ringLocation(announcedIn: statusPath, kind: .inputRing, rings: 1)
        }
        guard let (base, size) = location else { return }
        ringBase.update { $0 = base }
        var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
        var written = ram.readWord(at: base + Self.writtenOffset)
        while true {
            guard let count = nextChunk(into: &chunk) else { return }
            if count == 0 {
                guard readsTerminal, ram.readWord(at: base + Self.takesInterruptsOffset) == 1 else { break }
                guard markEndOfFile(base: base, written: written) else { return }
                continue
            }
            var offset = 0
            while offset < count {
                guard let room = waitForRoom(base: base, size: size, written: written) else { return }
                let at = written % size
                let piece = min(count - offset, Int(min(room, size - at)))
                chunk.withUnsafeBytes { bytes in
                    ram.write(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + piece)]), at: base + Self.dataOffset + at)
                }
                written += UInt64(piece)
                offset += piece
                // The bytes are in before the counter that publishes them (pwrite is in order).
                ram.writeWord(written, at: base + Self.writtenOffset)
            }
        }
        ram.writeWord(1, at: base + Self.endedOffset)
    }

    /// Sets the terminal this writer streams to the modes the program asks for now (line
    /// mode when it asks for none): as input is awaited, and before each piece of the
    /// program's output reaches the terminal, so that a prompt written after the program
    /// changed the modes finds them changed.
    func followTerminalModes() {
        guard readsTerminal, let base = ringBase.value else { return }
        Terminal.follow(TerminalModes(ringWord: ram.readWord(at: base + Self.modesOffset)), descriptor)
    }

    /// A signal key at the terminal this writer streams: counted in the ring's word at
    /// `offset` when the kernel takes the keys now; false when it does not (or has not said
    /// where its ring is yet).
    private func pass(countedAt offset: UInt64) -> Bool {
        guard let base = ringBase.value, ram.readWord(at: base + Self.takesInterruptsOffset) == 1 else { return false }
        ram.writeWord(ram.readWord(at: base + offset) &+ 1, at: base + offset)
        return true
    }

    /// Ctrl-C at this process's terminal: passed to a run that takes it (true), or not.
    static func passInterrupt() -> Bool {
        fromTerminals.value.contains { $0.pass(countedAt: interruptsOffset) }
    }

    /// Ctrl-Z at this process's terminal: passed to a run that takes it (true), or not.
    static func passSuspension() -> Bool {
        fromTerminals.value.contains { $0.pass(countedAt: suspensionsOffset) }
    }

    /// The next chunk of input: its length, 0 at the end of the input (or a read error),
    /// `nil` when the machine stopped first.
    private func nextChunk(into chunk: inout [UInt8]) -> Int? {
        while true {
            if stopped { return nil }
            followTerminalModes()
            var waiting = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeUp.read, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&waiting, wakeUp.read >= 0 ? 2 : 1, readsTerminal ? Self.terminalLookMilliseconds : Self.pollMilliseconds)
            if ready < 0 && errno != EINTR { return 0 }
            if ready <= 0 || waiting[0].revents == 0 { continue }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            return max(count, 0)
        }
    }

    /// Marks an end of file after the `written` bytes, once the kernel has taken the last
    /// one; false when the machine stopped first.
    private func markEndOfFile(base: UInt64, written: UInt64) -> Bool {
        while ram.readWord(at: base + Self.endOfFileOffset) != 0 {
            if stopped { return false }
            usleep(UInt32(Self.terminalLookMilliseconds) * 1000)
        }
        ram.writeWord(written + 1, at: base + Self.endOfFileOffset)
        return true
    }

    /// Waits until the ring has room; how much, or `nil` when the machine stopped first.
    private func waitForRoom(base: UInt64, size: UInt64, written: UInt64) -> UInt64? {
        var pause: UInt32 = 100
        while true {
            let read = ram.readWord(at: base + Self.readOffset)
            if read <= written, written - read < size { return size - (written - read) }
            if stopped { return nil }
            usleep(pause)
            pause = min(pause * 2, 5_000)
        }
    }
}
