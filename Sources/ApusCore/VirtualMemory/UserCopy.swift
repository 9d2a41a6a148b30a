/// Moving bytes between the kernel and a program's memory, safely.
///
/// A pointer that a program passes to a system call is an *allegation*: it may be NULL,
/// point into the kernel, at nothing, or at memory the program may not write. The kernel
/// must never dereference it as given. Every copy here first asks
/// ``MmStruct/accessOK(_:length:write:)`` about the whole range, so it refuses exactly what
/// `accessOK` refuses, and then reaches each page through its frame (``MmStruct/userPage(at:for:)``),
/// never through the user address itself. So a bad pointer costs the program
/// ``KernelError/badAddress`` and can never make the kernel fault.
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
    /// then calls `body` with each piece, so that nothing can fail once bytes move.
    private mutating func forEachUserPiece(
        at address: VirtualAddress, count: Int, for access: AccessKind,
        _ body: (UnsafeMutableRawBufferPointer) -> Bool
    ) throws(KernelError) {
        guard accessOK(address, length: UInt64(count), write: access == .write) else { throw .badAddress }
        guard count > 0 else { return }
        let end = address.raw + UInt64(count)
        var page = address.pageBase.raw
        while page < end {
            _ = try userPage(at: VirtualAddress(page), for: access)
            page += PageGeometry.pageSize
        }
        var done = 0
        while done < count {
            let cursor = VirtualAddress(address.raw + UInt64(done))
            guard let frame = try? userPage(at: cursor, for: access) else { preconditionFailure("a prepared user page went away") }
            let length = min(count - done, Int(PageGeometry.pageSize - cursor.pageOffset))
            let piece = UnsafeMutableRawBufferPointer(start: pageTable.frames.memory.pointer(to: frame) + Int(cursor.pageOffset), count: length)
            guard body(piece) else { return }
            done += length
        }
    }
}
