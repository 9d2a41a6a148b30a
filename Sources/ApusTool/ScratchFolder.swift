import Foundation

/// A private folder for one boot (mode 0700, made with `mkdtemp`), removed afterwards.
struct ScratchFolder {
    let url: URL
    private static let lock = NSLock()
    nonisolated(unsafe) private static var live: Set<String> = []

    init(in parent: URL?) throws {
        let base = (parent ?? FileManager.default.temporaryDirectory).path
        var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast()) + Array("apus-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ToolError("cannot make a folder in \(base): \(String(cString: strerror(errno)))")
        }
        url = URL(fileURLWithPath: String(cString: made), isDirectory: true)
        Self.lock.lock()
        Self.live.insert(url.path)
        Self.lock.unlock()
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Makes `name` in the folder a symbolic link to `target` (any path at all).
    func link(_ name: String, to target: URL) throws {
        guard symlink(target.path, path(name)) == 0 else {
            throw ToolError("cannot link \(target.path) into \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    func remove() {
        Self.lock.lock()
        Self.live.remove(url.path)
        Self.lock.unlock()
        try? FileManager.default.removeItem(at: url)
    }

    static func removeAll() {
        lock.lock()
        let folders = live
        live.removeAll()
        lock.unlock()
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
    }
}
