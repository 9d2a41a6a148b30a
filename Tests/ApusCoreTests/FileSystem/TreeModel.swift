import ApusCore
import Foundation
import Testing

/// A plain model of a file tree: every path (absolute, without `/` for the root) and what it
/// is. The model-based and power-cut tests compare the file system against it.
struct TreeModel: Equatable, CustomStringConvertible {
    enum Node: Equatable {
        case directory
        case file([UInt8])

        /// Files compare with `memcmp`: a debug build's element-wise `==` on byte arrays
        /// cost the power-cut tests most of their time.
        static func == (a: Node, b: Node) -> Bool {
            switch (a, b) {
            case (.directory, .directory): true
            case let (.file(x), .file(y)): sameBytes(x, y)
            default: false
            }
        }
    }

    /// Every path but the root's, `"/a/b"` style.
    var nodes: [String: Node] = [:]

    func exists(_ path: String) -> Bool { path == "/" || nodes[path] != nil }
    func isDirectory(_ path: String) -> Bool { path == "/" || nodes[path] == .directory }

    /// The paths directly inside directory `path`.
    func children(of path: String) -> [String] {
        let prefix = path == "/" ? "/" : path + "/"
        return nodes.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
    }

    /// Writes `bytes` at `offset` of file `path`, growing it with zeros as needed.
    mutating func write(_ path: String, at offset: Int, _ bytes: [UInt8]) {
        guard case .file(var contents) = nodes[path] else { return }
        if contents.count < offset + bytes.count { contents += [UInt8](repeating: 0, count: offset + bytes.count - contents.count) }
        contents.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        nodes[path] = .file(contents)
    }

    /// Removes `path` (and nothing else: directories are removed empty).
    mutating func remove(_ path: String) { nodes[path] = nil }

    /// Moves `from`, with everything under it, to `to`, replacing what `to` held.
    mutating func rename(_ from: String, to: String) {
        guard from != to else { return }
        nodes[to] = nil
        for key in nodes.keys where key == from || key.hasPrefix(from + "/") {
            nodes[to + key.dropFirst(from.count)] = nodes.removeValue(forKey: key)
        }
    }

    var description: String {
        nodes.keys.sorted().map { key in
            switch nodes[key]! {
            case .directory: "\(key)/"
            case .file(let bytes): "\(key) (\(bytes.count) bytes)"
            }
        }.joined(separator: ", ")
    }

    /// The tree a mounted file system holds, read through its own operations.
    static func read<Memory>(_ fileSystem: FileSystem<Memory>) throws(KernelError) -> TreeModel {
        var model = TreeModel()
        var pending = ["/"]
        while let directory = pending.popLast() {
            for (entry, status) in try fileSystem.list(path(directory)) {
                let name = String(decoding: entry.name, as: UTF8.self)
                if name == "." || name == ".." { continue }
                let full = directory == "/" ? "/" + name : directory + "/" + name
                if status.type == .directory {
                    model.nodes[full] = .directory
                    pending.append(full)
                } else {
                    model.nodes[full] = .file(try fileSystem.contents(of: path(full)))
                }
            }
        }
        return model
    }
}
