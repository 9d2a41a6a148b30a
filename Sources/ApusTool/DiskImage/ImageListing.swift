import ApusCore

/// `apus ls`: the entries of directories in an image, printed as the guest's `ls` prints them
/// (`Userland/programs/ls.c`), so that a listing on the host and one in Apus can be compared
/// line for line; the long format adds the link count, which the guest's `stat` does not give.
///
/// * Names that start with `.` are hidden unless ``showsAll`` (`-a`).
/// * Order: `.` and `..` first, then by bytes; with ``directoryOrder`` (`-U`), the order
///   the directory holds them in.
/// * ``longFormat`` (`-l`): `TYPE INODE LINKS SIZE NAME` as
///   `printf("%c %8lu %4lu %12lu %s\n")`, TYPE `d` or `-`; the guest's `ls -l` prints the same
///   without LINKS.
/// * A path that names a regular file shows as itself; with several paths, each directory's
///   lines follow a line `PATH:`, and a blank line separates one path's lines from the next.
public struct ImageListing {
    public var showsAll = false
    public var longFormat = false
    public var directoryOrder = false

    public init() {}

    /// What listing `paths` (paths in the image; relative ones start at the root) prints,
    /// and one line per path that could not be shown.
    public func list<Memory>(_ paths: [[UInt8]], in fileSystem: FileSystem<Memory>) -> (output: [UInt8], problems: [String]) {
        var output: [UInt8] = []
        var problems: [String] = []
        var shown = 0
        for path in paths {
            let absolute = path.first == UInt8(ascii: "/") ? path : [UInt8(ascii: "/")] + path
            do throws(KernelError) {
                let status = try fileSystem.status(absolute, from: FileSystem<Memory>.rootInode)
                var lines: [UInt8] = []
                if status.type == .directory {
                    if paths.count > 1 { lines += path + Array(":\n".utf8) }
                    for (entry, entryStatus) in try sorted(fileSystem.list(absolute)) {
                        lines += line(entry.name, entryStatus)
                    }
                } else {
                    lines += line(path, status)
                }
                if shown > 0 { output.append(UInt8(ascii: "\n")) }
                shown += 1
                output += lines
            } catch {
                problems.append("\(LogText.escaped(path)): \(error.explanation) (\(error))")
            }
        }
        return (output, problems)
    }

    /// The entries to show, in the order to show them.
    private func sorted(_ entries: [(entry: DirectoryBlock.Entry, status: FileStatus)]) -> [(entry: DirectoryBlock.Entry, status: FileStatus)] {
        let shown = entries.filter { showsAll || $0.entry.name.first != UInt8(ascii: ".") }
        guard !directoryOrder else { return shown }
        func rank(_ name: [UInt8]) -> Int { name == DirectoryBlock.dot ? 0 : name == DirectoryBlock.dotDot ? 1 : 2 }
        return shown.sorted { a, b in
            let (rankA, rankB) = (rank(a.entry.name), rank(b.entry.name))
            return rankA != rankB ? rankA < rankB : a.entry.name.lexicographicallyPrecedes(b.entry.name)
        }
    }

    /// One entry's line.
    private func line(_ name: [UInt8], _ status: FileStatus) -> [UInt8] {
        guard longFormat else { return name + [UInt8(ascii: "\n")] }
        let type = status.type == .directory ? "d" : "-"
        let columns = "\(type) \(Self.rightAligned(status.inode, 8)) \(Self.rightAligned(status.linkCount, 4)) \(Self.rightAligned(status.size, 12)) "
        return Array(columns.utf8) + name + [UInt8(ascii: "\n")]
    }

    /// `value` in decimal, right-aligned in `width` columns (wider when it needs more).
    static func rightAligned(_ value: UInt64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: " ", count: max(0, width - digits.count)) + digits
    }
}
