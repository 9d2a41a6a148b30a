/// Paths as Linux programs see them: the current directory as a string (`getcwd`), the
/// base a `*at` call starts from, and the names that are not on the disk (`/dev/null`,
/// `/proc/self/exe`…).
///
/// The disk has no symbolic links, so a path's meaning is its text: `.` and `..` are
/// resolved by hand here exactly as the file system resolves them (`..` of `/` is `/`).
public enum LinuxPaths {
    /// `*at` calls' "from the current directory" (`AT_FDCWD`).
    public static let currentDirectory: Int32 = -100
    /// The longest path kept for a directory or a program (Linux's `PATH_MAX`).
    public static var maximumLength: Int { 4096 }

    /// `path` made absolute from the absolute directory `base`, with `.`, `..`, repeated and
    /// trailing `/` resolved: what `getcwd` reports after `chdir(path)`.
    public static func resolve(_ path: [UInt8], from base: [UInt8]) -> [UInt8] {
        let slash = UInt8(ascii: "/")
        let joined = path.first == slash ? path : base + [slash] + path
        var components: [[UInt8]] = []
        for component in joined.split(separator: slash) {
            if component.elementsEqual([UInt8(ascii: ".")]) { continue }
            if component.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                if !components.isEmpty { components.removeLast() }
                continue
            }
            components.append(Array(component))
        }
        var result: [UInt8] = []
        for component in components { result += [slash] + component }
        return result.isEmpty ? [slash] : result
    }

    /// The device a path names, when it is one of the devices of ABI.md §7.
    public static func device(_ path: [UInt8]) -> DeviceFile? {
        if path.elementsEqual("/dev/null".utf8) { return .null }
        if path.elementsEqual("/dev/zero".utf8) { return .zero }
        if path.elementsEqual("/dev/tty".utf8) || path.elementsEqual("/dev/console".utf8) { return .terminal }
        return nil
    }

    /// Whether a path names the running program (`/proc/self/exe`).
    public static func isSelfExecutable(_ path: [UInt8]) -> Bool {
        path.elementsEqual("/proc/self/exe".utf8)
    }
}
