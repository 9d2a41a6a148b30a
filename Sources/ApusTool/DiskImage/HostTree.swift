import ApusCore
import Foundation

/// A folder of the host as a tree for an image (``FileSystemImage/Item``s): every regular
/// file with its bytes and every directory, subdirectories included, at the same paths from
/// the image's root. Names stay the exact bytes the folder holds.
///
/// What a KeOS file system cannot hold is not guessed at: a symbolic link to a regular file
/// becomes a copy of that file, a link to a directory and anything that is neither a file
/// nor a directory (a socket, a device) is left out and named in ``Tree/leftOut``, and a name
/// the format refuses (over 251 bytes, not UTF-8) fails with the path that has it.
public enum HostTree {
    public struct Tree {
        /// Directories first, then their contents, each directory's entries in byte order.
        public var items: [FileSystemImage.Item] = []
        /// Host paths that were not copied, with why.
        public var leftOut: [String] = []
        public var fileCount: Int { items.count { if case .file = $0 { true } else { false } } }
        public var directoryCount: Int { items.count - fileCount }
    }

    /// The tree under `folder`. A usage failure when `folder` is missing or not a folder.
    public static func read(_ folder: String) throws(ImageCommandFailure) -> Tree {
        var information = stat()
        guard stat(folder, &information) == 0 else {
            throw ImageCommandFailure(.usage, "\(folder): \(errno == ENOENT ? "no such folder" : String(cString: strerror(errno)))")
        }
        guard information.st_mode & S_IFMT == S_IFDIR else {
            throw ImageCommandFailure(.usage, "\(folder) is not a folder: give the folder whose tree the image should hold")
        }
        var tree = Tree()
        try add(hostPath: Array(folder.utf8), imagePath: [], to: &tree)
        return tree
    }

    private static func add(hostPath: [UInt8], imagePath: [UInt8], to tree: inout Tree) throws(ImageCommandFailure) {
        for name in try entries(of: hostPath) {
            let host = hostPath + (hostPath.last == UInt8(ascii: "/") ? [] : [UInt8(ascii: "/")]) + name
            let path = imagePath + [UInt8(ascii: "/")] + name
            let shown = LogText.escaped(host)
            do { _ = try PathName(path) } catch {
                throw ImageCommandFailure(.problem, "\(shown): a KeOS file system cannot hold this name: \(error.explanation) (\(error))")
            }
            var linkInformation = stat(), information = stat()
            guard withPath(host, { lstat($0, &linkInformation) }) == 0, withPath(host, { stat($0, &information) }) == 0 else {
                tree.leftOut.append("\(shown): \(String(cString: strerror(errno)))")
                continue
            }
            let isLink = linkInformation.st_mode & S_IFMT == S_IFLNK
            switch information.st_mode & S_IFMT {
            case S_IFREG:
                do { tree.items.append(.file(path: path, contents: try ProgramRun.readFile(host))) } catch {
                    throw ImageCommandFailure(.problem, "\(error)")
                }
            case S_IFDIR where !isLink:
                tree.items.append(.directory(path: path))
                try add(hostPath: host, imagePath: path, to: &tree)
            case S_IFDIR:
                tree.leftOut.append("\(shown): a symbolic link to a folder (not followed)")
            default:
                tree.leftOut.append("\(shown): neither a file nor a folder")
            }
        }
    }

    /// The names in the folder at `path` but `.` and `..`, in byte order.
    private static func entries(of path: [UInt8]) throws(ImageCommandFailure) -> [[UInt8]] {
        guard let directory = withPath(path, { opendir($0) }) else {
            throw ImageCommandFailure(.problem, "\(LogText.escaped(path)): cannot read the folder: \(String(cString: strerror(errno)))")
        }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Calls `body` with `path` as a C string.
    static func withPath<Result>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> Result) -> Result {
        (path + [0]).withUnsafeBufferPointer { buffer in buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
    }
}
