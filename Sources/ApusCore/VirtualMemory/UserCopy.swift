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
        guard accessOK(source, length: UInt64(buffer.count), write: false) else { throw .badAddress }
        var done = 0
        while done < buffer.count {
            let address = VirtualAddress(source.raw + UInt64(done))
            let frame = try userPage(at: address, for: .read)
            let chunk = min(buffer.count - done, Int(PageGeometry.pageSize - address.pageOffset))
            let from = pageTable.frames.memory.pointer(to: frame) + Int(address.pageOffset)
            (buffer.baseAddress! + done).copyMemory(from: from, byteCount: chunk)
            done += chunk
        }
    }

    /// Copies `bytes` into user memory at `destination`. ``KernelError/badAddress`` when the
    /// range is not writable user memory (user memory is then untouched).
    public mutating func copyOut(_ bytes: UnsafeRawBufferPointer, to destination: VirtualAddress) throws(KernelError) {
        guard accessOK(destination, length: UInt64(bytes.count), write: true) else { throw .badAddress }
        var done = 0
        while done < bytes.count {
            let address = VirtualAddress(destination.raw + UInt64(done))
            let frame = try userPage(at: address, for: .write)
            let chunk = min(bytes.count - done, Int(PageGeometry.pageSize - address.pageOffset))
            let to = pageTable.frames.memory.pointer(to: frame) + Int(address.pageOffset)
            to.copyMemory(from: bytes.baseAddress! + done, byteCount: chunk)
            done += chunk
        }
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
}
