/// Whole-block transfers between a ``BlockDevice`` and arrays, for the code that builds or
/// checks an image a block at a time (mkfs, fsck, journal records) rather than through the
/// caches.
extension BlockDevice {
    /// Writes `bytes` (exactly one block) to block `block`.
    public func write(block: UInt64, bytes: [UInt8]) throws(KernelError) {
        var failure: KernelError?
        bytes.withUnsafeBytes { buffer in
            do throws(KernelError) { try write(block: block, from: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// The contents of block `block`.
    public func read(block: UInt64) throws(KernelError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: BlockGeometry.blockSize)
        var failure: KernelError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(KernelError) { try read(block: block, into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return bytes
    }
}
