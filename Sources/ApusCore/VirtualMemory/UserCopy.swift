/// Moving bytes between the kernel and a program's memory, safely.
///
/// A pointer that a program passes to a system call is an *allegation*: it may be NULL,
/// point into the kernel, at nothing, or at memory the program may not write. The kernel
/// must never dereference it as given. Every copy here first asks
/// ``MmStruct/accessOK(_:length:write:)`` about the whole range, so it refuses exactly what
/// `accessOK` refuses, and then reaches each page through its frame (``MmStruct/userPage(at:for:)``),
/// never through the user address itself. So a bad pointer costs the program
/// ``KernelError/badAddress`` and can never make the kernel fault.
///
/// A system call that must look at its buffer before it copies (a read that may wait must
/// refuse a bad buffer first) checks it once, into a ``UserRange``, and copies through that:
/// the range is the proof that `accessOK` said yes, so the copy does not ask again.
extension MmStruct {
    /// Copies `buffer.count` bytes from user memory at `source` into `buffer`.
    /// ``KernelError/badAddress`` when the range is not readable user memory (the buffer is
    /// then untouched).
    public mutating func copyIn(from source: VirtualAddress, into buffer: UnsafeMutableRawBufferPointer) throws(KernelError) {
        var done = 0
        try withUserBytes(at: source, count: buffer.count) { piece in
            (buffer.baseAddress! + done).copyMemory(from: piece.baseAddress!, byteCount: piece.count)
            done += piece.count
            return true
        }
    }

    /// The `count` bytes of user memory at `source`. ``KernelError/badAddress`` when the
    /// range is not readable user memory.
    public mutating func copyIn(count: Int, from source: VirtualAddress) throws(KernelError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let outcome = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(KernelError) in try copyIn(from: source, into: buffer) }
        }
        try outcome.get()
        return bytes
    }

    /// Copies `bytes` into user memory at `destination`. ``KernelError/badAddress`` when the
    /// range is not writable user memory (user memory is then untouched).
    public mutating func copyOut(_ bytes: UnsafeRawBufferPointer, to destination: VirtualAddress) throws(KernelError) {
        var done = 0
        try withWritableUserBytes(at: destination, count: bytes.count) { piece in
            piece.baseAddress!.copyMemory(from: bytes.baseAddress! + done, byteCount: piece.count)
            done += piece.count
            return true
        }
    }

    /// Copies the array `bytes` into user memory at `destination` (``copyOut(_:to:)`` for
    /// kernel values held in arrays).
    public mutating func copyOut(_ bytes: [UInt8], to destination: VirtualAddress) throws(KernelError) {
        let outcome = bytes.withUnsafeBytes { buffer in
            Result { () throws(KernelError) in try copyOut(buffer, to: destination) }
        }
        try outcome.get()
    }

    /// Copies the bytes of `value` (little-endian, as the CPU stores it) into user memory at
    /// `destination`.
    public mutating func copyOut<T: FixedWidthInteger>(value: T, to destination: VirtualAddress) throws(KernelError) {
        try copyOut(value.littleEndianBytes, to: destination)
    }

    /// Reads the NUL-terminated string at `address`, checking each byte's page as it goes,
    /// and returns its bytes without the NUL. ``KernelError/badAddress`` when a byte before
    /// the NUL is not readable user memory; ``KernelError/nameTooLong`` when no NUL comes
    /// within `maximumLength` bytes.
    public mutating func copyInCString(at address: VirtualAddress, maximumLength: Int) throws(KernelError) -> [UInt8] {
        var bytes: [UInt8] = []
        var cursor = address
        while true {
            guard accessOK(cursor, length: 1, write: false) else { throw .badAddress }
            let frame = try userPage(at: cursor, for: .read)
            let page = pageTable.frames.memory.page(at: frame)
            for offset in Int(cursor.pageOffset)..<page.count {
                if page[offset] == 0 { return bytes }
                guard bytes.count < maximumLength else { throw .nameTooLong }
                bytes.append(page[offset])
            }
            guard let next = cursor.pageBase.advanced(by: PageGeometry.pageSize) else { throw .badAddress }
            cursor = next
        }
    }

    /// `[address, address + count)` checked with `accessOK` for `access`: the range, or
    /// ``KernelError/badAddress``.
    public func checkedUserRange(_ address: VirtualAddress, count: UInt64, for access: AccessKind) throws(KernelError) -> UserRange {
        guard accessOK(address, length: count, write: access == .write) else { throw .badAddress }
        // accessOK accepts no range beyond the user half, so the count fits in an Int.
        return UserRange(start: address, count: Int(count), access: access)
    }

    /// ``withUserBytes(at:count:_:)`` for a range checked already.
    public mutating func withUserBytes(in range: UserRange, _ body: (UnsafeRawBufferPointer) -> Bool) throws(KernelError) {
        try forEachUserPiece(in: range) { body(UnsafeRawBufferPointer($0)) }
    }

    /// ``withWritableUserBytes(at:count:_:)`` for a range checked already for writing.
    public mutating func withWritableUserBytes(in range: UserRange, _ body: (UnsafeMutableRawBufferPointer) -> Bool) throws(KernelError) {
        precondition(range.access == .write, "a range checked for reading cannot be written")
        try forEachUserPiece(in: range, body)
    }

    /// Reads `[address, address + count)` in place: `body` gets each piece of it that lies in
    /// one page, in order, as read-only kernel memory (through the page's frame), until it
    /// returns false. Read-only, because the frame may be shared with another process
    /// (copy-on-write): a stray write through it would change that process's memory.
    /// Failures as ``withWritableUserBytes(at:count:_:)``.
    public mutating func withUserBytes(at address: VirtualAddress, count: Int, _ body: (UnsafeRawBufferPointer) -> Bool) throws(KernelError) {
        try forEachUserPiece(at: address, count: count, for: .read) { body(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `[address, address + count)` in place: `body` gets each piece of it that lies
    /// in one page, in order, as kernel memory (through the page's frame, copied first if it
    /// was shared), until it returns false. System calls use it to move bytes into the
    /// program without a copy.
    ///
    /// Every failure comes before the first call to `body`: ``KernelError/badAddress`` when
    /// `accessOK` refuses the range, ``KernelError/noMemory`` when a page cannot be filled. So a
    /// system call that consumes something in `body` (pipe bytes, console input) never
    /// consumes it and then fails.
    public mutating func withWritableUserBytes(at address: VirtualAddress, count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Bool) throws(KernelError) {
        try forEachUserPiece(at: address, count: count, for: .write, body)
    }

    /// Checks the range with `accessOK` for `access`, makes every page of it ready for the
    /// access (faulting in what the pager has not filled, copying what is shared), and only
    /// then calls `body` with each piece, so that nothing can fail once bytes move. When a
    /// page cannot be made ready, the pages this call filled are dropped again before the
    /// error: a failed call leaves no page behind.
    private mutating func forEachUserPiece(
        at address: VirtualAddress, count: Int, for access: AccessKind,
        _ body: (UnsafeMutableRawBufferPointer) -> Bool
    ) throws(KernelError) {
        try forEachUserPiece(in: checkedUserRange(address, count: UInt64(count), for: access), body)
    }

    /// The work of ``forEachUserPiece(at:count:for:_:)`` on a checked range. The pages are
    /// made ready first; then the bytes move, each page reached through its leaf entry (it is
    /// present and allows the access now: nothing changes in between). A range within one
    /// page, the usual case, uses the frame the first pass found.
    private mutating func forEachUserPiece(in range: UserRange, _ body: (UnsafeMutableRawBufferPointer) -> Bool) throws(KernelError) {
        guard range.count > 0 else { return }
        let address = range.start, count = range.count
        let end = address.raw + UInt64(count)
        var page = address.pageBase.raw
        var firstFrame = PhysicalAddress(0)
        // The pages this call had the pager fill, as runs of pages: if a later page cannot be
        // made ready, they are dropped again, so that a failed call leaves the address space
        // as it found it. Without this, a `write` of a large buffer the program never touched
        // failed with NoMemory *after* filling every free frame with its zero pages, and left
        // them to the process: the error changed the machine (ABI.md: errors change nothing).
        // The usual case, one run, needs no heap: only a buffer whose absent pages lie apart
        // keeps a list.
        var run: VirtualRange?
        var earlierRuns: [VirtualRange] = []
        while page < end {
            let prepared: (frame: PhysicalAddress, filled: Bool)
            do throws(KernelError) {
                prepared = try preparedUserPage(at: VirtualAddress(page), for: range.access)
            } catch {
                if let run { pageTable.unmapAll(in: run) }
                for earlier in earlierRuns { pageTable.unmapAll(in: earlier) }
                throw error
            }
            if page == address.pageBase.raw { firstFrame = prepared.frame }
            if prepared.filled {
                let next = VirtualAddress(page + PageGeometry.pageSize)
                if let current = run, current.end.raw == page {
                    run = VirtualRange(start: current.start, end: next)
                } else {
                    if let current = run { earlierRuns.append(current) }
                    run = VirtualRange(start: VirtualAddress(page), end: next)
                }
            }
            page += PageGeometry.pageSize
        }
        var done = 0
        while done < count {
            let cursor = VirtualAddress(address.raw + UInt64(done))
            let frame: PhysicalAddress
            if done == 0 {
                frame = firstFrame
            } else {
                guard let entry = try? pageTable.walk(cursor) else { preconditionFailure("a prepared user page went away") }
                frame = entry.frame
            }
            let length = min(count - done, Int(PageGeometry.pageSize - cursor.pageOffset))
            let piece = UnsafeMutableRawBufferPointer(start: pageTable.frames.memory.pointer(to: frame) + Int(cursor.pageOffset), count: length)
            guard body(piece) else { return }
            done += length
        }
    }
}

/// A range of a program's memory that ``MmStruct/accessOK(_:length:write:)`` accepted for
/// `access` (``MmStruct/checkedUserRange(_:count:for:)`` makes one; nothing else can): the
/// user copies take it without checking again. It is only good within the system call that
/// checked it: a later call (one that goes on after a wait) checks again, since the program may have
/// unmapped the memory meanwhile.
public struct UserRange: Equatable, Sendable {
    public let start: VirtualAddress
    public let count: Int
    public let access: AccessKind

    fileprivate init(start: VirtualAddress, count: Int, access: AccessKind) {
        self.start = start
        self.count = count
        self.access = access
    }

    /// Its first `length` bytes (a call that moves less than it was given).
    public func prefix(_ length: Int) -> UserRange {
        UserRange(start: start, count: min(max(length, 0), count), access: access)
    }
}
