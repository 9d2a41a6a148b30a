import Foundation

/// A private folder for one boot (mode 0700, made with `mkdtemp`), removed afterwards.
///
/// Making and removing folders hold one lock, so a tool that exits after ``removeAll()``
/// never leaves behind a folder another thread was halfway through removing, nor one
/// made after it.
struct ScratchFolder {
    let url: URL
    private static let lock = NSLock()
    nonisolated(unsafe) private static var live: Set<String> = []
    /// Set by ``removeAll()``: the tool is about to exit and makes no more folders.
    nonisolated(unsafe) private static var closed = false

    init(in parent: URL?) throws {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        guard !Self.closed else { throw ToolError("the run is stopping: no new scratch folder") }
        let base = (parent ?? FileManager.default.temporaryDirectory).path
        var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast()) + Array("apus-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ToolError("cannot make a folder in \(base): \(String(cString: strerror(errno)))")
        }
        url = URL(fileURLWithPath: String(cString: made), isDirectory: true)
        Self.live.insert(url.path)
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
        defer { Self.lock.unlock() }
        guard Self.live.remove(url.path) != nil else { return }
        try? FileManager.default.removeItem(at: url)
    }

    /// Removes every folder there is and refuses new ones: for a tool about to exit.
    static func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        for folder in live { try? FileManager.default.removeItem(atPath: folder) }
        live.removeAll()
    }
}
