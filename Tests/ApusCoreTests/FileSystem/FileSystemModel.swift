import ApusCore

/// One step of the file system's model-based test, with concrete values so that a list of
/// steps replays exactly.
enum FileSystemStep: CustomStringConvertible {
    case create(String), mkdir(String), unlink(String), stat(String), chdir(String), readdir(String)
    case open(String), close(Int), write(Int, count: Int, salt: Int), seek(Int, to: Int), read(Int, count: Int)
    /// Closes every descriptor, unmounts and mounts again.
    case remount

    var description: String {
        switch self {
        case .create(let p): "create \(p)"
        case .mkdir(let p): "mkdir \(p)"
        case .unlink(let p): "unlink \(p)"
        case .stat(let p): "stat \(p)"
        case .chdir(let p): "chdir \(p)"
        case .readdir(let p): "readdir \(p)"
        case .open(let p): "open \(p)"
        case .close(let fd): "close \(fd)"
        case let .write(fd, count, salt): "write fd \(fd) +\(count) (salt \(salt))"
        case let .seek(fd, to): "seek fd \(fd) to \(to)"
        case let .read(fd, count): "read fd \(fd) \(count)"
        case .remount: "remount"
        }
    }
}

/// What a step returned, on either side.
enum StepResult: Equatable {
    case ok
    case value(Int)
    case bytes([UInt8])
    case names([String])
    case status(FileType, UInt64)
    case error(KernelError)
}

/// The plain model: directories as lists of slots (the on-disk order `readdir` reports),
/// files as byte arrays with the pages ever written (which take blocks; the others are
/// holes), and descriptors that keep a file alive after its name is gone.
struct FileSystemModel {
    final class File {
        var bytes: [UInt8] = []
        var pages = Set<Int>()
    }

    enum Node {
        case directory(slots: [String?])
        case file(File)
    }

    var nodes: [String: Node] = ["/": .directory(slots: [])]
    var cwd = "/"
    /// An open directory whose name is gone: it keeps its blocks until it is closed.
    final class RemovedDirectory {
        let blocks: Int
        init(blocks: Int) { self.blocks = blocks }
    }

    struct Descriptor {
        var file: File?
        var position = 0
        /// The directory's path while it has one.
        var directory: String?
        var removedDirectory: RemovedDirectory?
    }

    var descriptors: [Int: Descriptor] = [:]

    static func join(_ directory: String, _ name: String) -> String { directory == "/" ? "/" + name : directory + "/" + name }
    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), path != "/" else { return "/" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Resolves `text` like the path walk: (parent, last name, what it names).
    func resolve(_ text: String) -> Result<(parent: String, name: String?, target: String?, trailing: Bool), KernelError> {
        guard !text.isEmpty else { return .failure(.noSuchEntry) }
        let parts = text.split(separator: "/").map(String.init)
        var directory = text.hasPrefix("/") ? "/" : cwd
        guard let last = parts.last else { return .success(("/", nil, "/", true)) }
        func step(_ name: String) -> String? {
            if name == "." { return directory }
            if name == ".." { return Self.parent(directory) }
            let child = Self.join(directory, name)
            return nodes[child] == nil ? nil : child
        }
        for part in parts.dropLast() {
            guard let next = step(part) else { return .failure(.noSuchEntry) }
            guard case .directory = nodes[next] else { return .failure(.notDirectory) }
            directory = next
        }
        return .success((directory, last, step(last), text.hasSuffix("/")))
    }

    func isDirectory(_ path: String) -> Bool {
        if case .directory = nodes[path] { return true }
        return false
    }

    mutating func addEntry(_ name: String, to directory: String) {
        guard case .directory(var slots) = nodes[directory] else { return }
        if let free = slots.firstIndex(where: { $0 == nil }) { slots[free] = name } else { slots.append(name) }
        nodes[directory] = .directory(slots: slots)
    }

    /// Removes the empty directory `path`; descriptors open on it keep its blocks.
    mutating func removeDirectory(_ path: String) {
        guard case .directory(let slots) = nodes[path] else { return }
        let removed = RemovedDirectory(blocks: (slots.count + 2 + 15) / 16)
        for (fd, descriptor) in descriptors where descriptor.directory == path {
            descriptors[fd]!.directory = nil
            descriptors[fd]!.removedDirectory = removed
        }
    }

    mutating func removeEntry(_ name: String, from directory: String) {
        guard case .directory(var slots) = nodes[directory], let index = slots.firstIndex(of: name) else { return }
        slots[index] = nil
        nodes[directory] = .directory(slots: slots)
    }

    /// The data blocks everything alive uses: file pages (and their indirect block past the
    /// twelfth page) and directory blocks (16 slots each, `.` and `..` included).
    var usedBlocks: Int {
        var files: [ObjectIdentifier: File] = [:]
        var blocks = 0
        for node in nodes.values {
            switch node {
            case .directory(let slots): blocks += (slots.count + 2 + 15) / 16
            case .file(let file): files[ObjectIdentifier(file)] = file
            }
        }
        var removed: [ObjectIdentifier: RemovedDirectory] = [:]
        for descriptor in descriptors.values {
            if let file = descriptor.file { files[ObjectIdentifier(file)] = file }
            if let directory = descriptor.removedDirectory { removed[ObjectIdentifier(directory)] = directory }
        }
        for file in files.values { blocks += file.pages.count + (file.pages.contains { $0 >= 12 } ? 1 : 0) }
        for directory in removed.values { blocks += directory.blocks }
        return blocks
    }

    /// The tree as ``TreeModel`` describes it.
    var tree: TreeModel {
        var model = TreeModel()
        for (path, node) in nodes where path != "/" {
            switch node {
            case .directory: model.nodes[path] = .directory
            case .file(let file): model.nodes[path] = .file(file.bytes)
            }
        }
        return model
    }
}
