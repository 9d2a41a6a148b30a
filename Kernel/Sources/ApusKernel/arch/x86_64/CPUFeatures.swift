import X86_64Support

/// The protections Apus turns on when the CPU offers them (Intel SDM Vol. 3A §2.5, §4.6).
///
/// * CR0.WP and EFER.NXE are set by boot.S: the kernel honours read-only pages, and XD bits
///   stop instruction fetches.
/// * SMEP (CR4 bit 20): the kernel faults if it ever executes a user page.
/// * SMAP (CR4 bit 21): the kernel faults if it touches a user page outside the user-copy
///   routines (which open it with `stac`).
struct CPUFeatures: CustomStringConvertible {
    var smep = false
    var smap = false
    var rdrand = false
    var noExecute = false

    static let cr4SMEP: UInt64 = 1 << 20
    static let cr4SMAP: UInt64 = 1 << 21

    static func detect() -> CPUFeatures {
        var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
        var features = CPUFeatures()
        cpuid(7, 0, &a, &b, &c, &d)
        features.smep = b & (1 << 7) != 0
        features.smap = b & (1 << 20) != 0
        cpuid(1, 0, &a, &b, &c, &d)
        features.rdrand = c & (1 << 30) != 0
        cpuid(0x8000_0001, 0, &a, &b, &c, &d)
        features.noExecute = d & (1 << 20) != 0
        return features
    }

    /// Detects the features and turns on SMEP and SMAP where present.
    static func enableProtections() -> CPUFeatures {
        let features = detect()
        var cr4 = read_cr4()
        if features.smep { cr4 |= cr4SMEP }
        if features.smap { cr4 |= cr4SMAP }
        write_cr4(cr4)
        return features
    }

    var description: String {
        "NX \(noExecute ? "on" : "missing"), SMEP \(smep ? "on" : "absent"), SMAP \(smap ? "on" : "absent"), RDRAND \(rdrand ? "present" : "missing"), CR0.WP on"
    }
}
