/// The FXSAVE image of a thread's x87/SSE state (Intel SDM Vol. 1 §10.5.1, table 10-2): 512
/// bytes that `fxsave` writes and `fxrstor` loads, and that a ``SignalFrame`` carries on the
/// user stack while a handler runs.
///
/// Because the image comes back from user memory at `rt_sigreturn`, the program may have
/// written anything into it. Almost every field is harmless to `fxrstor`, but one is not:
/// setting a reserved bit of MXCSR (offset 24) makes `fxrstor` raise #GP *in the kernel*.
/// ``sanitised(_:mxcsrMask:)`` clears those bits first, as Linux does.
public enum FPUStateArea {
    /// The size of an FXSAVE image.
    public static let size = 512
    /// The image's alignment on the user stack: FXSAVE needs 16, Linux aligns to 64 (as
    /// XSAVE needs), and so does Apus.
    public static let alignment: UInt64 = 64
    /// Where MXCSR sits in the image.
    public static let mxcsrOffset = 24
    /// The MXCSR bits every SSE processor supports when its own FXSAVE image gives no
    /// `MXCSR_MASK` (Intel SDM Vol. 1 §11.6.6): all of 0–15 but DAZ (bit 6).
    public static let defaultMXCSRMask: UInt32 = 0xFFBF

    /// `bytes` (the image read back from user memory) made safe for `fxrstor`: exactly 512
    /// bytes, zero-filled if fewer, with MXCSR limited to the bits of `mxcsrMask` (the CPU's
    /// `MXCSR_MASK`, or ``defaultMXCSRMask``).
    public static func sanitised(_ bytes: [UInt8], mxcsrMask: UInt32 = defaultMXCSRMask) -> [UInt8] {
        var image = Array(bytes.prefix(size))
        image += [UInt8](repeating: 0, count: size - image.count)
        let mxcsr = UInt32(littleEndianBytes: image, at: mxcsrOffset) & mxcsrMask
        for (index, byte) in mxcsr.littleEndianBytes.enumerated() { image[mxcsrOffset + index] = byte }
        return image
    }
}
