import ApusCore
import Foundation

/// The files of a run's root file system, read from the host's folders as bytes: the built
/// programs, the data files, and the `--rootfs` folders with their subdirectories (a later
/// folder's file wins over an earlier one's of the same name).
extension ProgramRun {
    /// A file of the root file system: its name (bytes, as the folder holds it; for a file in
    /// a subdirectory of a `--rootfs` folder, its path from that folder) and where it is.
    public struct RootFile: Sendable {
        public var name: [UInt8]
        /// The file's path, as bytes (a name need not be UTF-8).
        public var path: [UInt8]
        /// The name, readable.
        public var displayName: String { LogText.escaped(name) }
    }

    /// The root file system's files: programs, data, extra folders (later ones win), each at
    /// its name (a `--rootfs` folder's subdirectories too, at their paths). A folder that is
    /// missing or is not a folder is an error, not silence.
    public static func rootFiles(programs: URL, data: URL, extra: [URL]) throws -> [RootFile] {
        var files: [[UInt8]: [UInt8]] = [:]
        for folder in [programs, data] {
            for file in try listFolder(folder) { files[file.name] = file.path }
        }
        for folder in extra {
            for file in try listTree(folder).files { files[file.name] = file.path }
        }
        return files.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { RootFile(name: $0, path: files[$0]!) }
    }

    /// What the run's disk holds: every root file, and the subdirectories of the `--rootfs`
    /// folders (empty ones too), parents before their contents; with a busybox in a
    /// `--rootfs` folder, its installation (``busyboxInstallation(of:besides:)``). A name the
    /// disk cannot hold (not UTF-8, or longer than 251 bytes: ABI.md §6) is an error naming it.
    public static func diskEntries(programs: URL, data: URL, extra: [URL]) throws -> [RunDisk.Entry] {
        var directories = Set<[UInt8]>()
        for folder in extra { directories.formUnion(try listTree(folder).directories) }
        var files = try rootFiles(programs: programs, data: data, extra: extra).map { RunDisk.Entry(path: $0.name, source: $0.path) }
        var links: [RunDisk.Entry] = []
        if let busybox = try busybox(among: extra) {
            let installation = try busyboxInstallation(of: busybox, besides: Set(files.map(\.path)))
            directories.formUnion(installation.directories)
            files = files.filter { $0.path != busyboxName } + [installation.file]
            links = installation.links
        }
        let entries = directories.sorted { $0.lexicographicallyPrecedes($1) }.map { RunDisk.Entry(path: $0, source: nil) } + files + links
        for entry in entries {
            for name in entry.path.split(separator: UInt8(ascii: "/")) where !isValidUTF8(Array(name)) || name.count > DirectoryBlock.maximumNameLength {
                throw ToolError("\(LogText.escaped(entry.source ?? entry.path)): a name on the disk must be UTF-8 of at most \(DirectoryBlock.maximumNameLength) bytes (ABI.md §6), and \(LogText.escaped(name)) is not")
            }
        }
        return entries
    }

    /// The regular files of `folder` and of its subdirectories, named by their paths from it,
    /// and those subdirectories.
    public static func listTree(_ folder: URL) throws -> (files: [RootFile], directories: [[UInt8]]) {
        var files = try listFolder(folder)
        var directories: [[UInt8]] = []
        var pending = try listSubfolders(Array(folder.path.utf8), named: [])
        while let (name, path) = pending.popLast() {
            directories.append(name)
            let url = URL(fileURLWithPath: String(decoding: path, as: UTF8.self))
            files += try listFolder(url).map { RootFile(name: name + [UInt8(ascii: "/")] + $0.name, path: $0.path) }
            pending += try listSubfolders(path, named: name)
        }
        return (files, directories)
    }

    /// The subfolders of the folder at `path` (named `name` on the disk): their names on the
    /// disk and their paths. Symbolic links are not followed into.
    private static func listSubfolders(_ path: [UInt8], named name: [UInt8]) throws -> [(name: [UInt8], path: [UInt8])] {
        let text = String(decoding: path, as: UTF8.self)
        guard let directory = opendir(text) else {
            throw ToolError("\(text): cannot read the folder: \(String(cString: strerror(errno)))")
        }
        defer { closedir(directory) }
        var folders: [(name: [UInt8], path: [UInt8])] = []
        let prefix = path + (path.last == UInt8(ascii: "/") ? [] : [UInt8(ascii: "/")])
        while let entry = readdir(directory) {
            let child = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if child == [0x2E] || child == [0x2E, 0x2E] { continue }
            var information = stat()
            let found = (prefix + child + [0]).withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { lstat($0.baseAddress!, &information) }
            }
            guard found == 0, information.st_mode & S_IFMT == S_IFDIR else { continue }
            folders.append((name.isEmpty ? child : name + [UInt8(ascii: "/")] + child, prefix + child))
        }
        return folders
    }

    /// The regular files of `folder` (symbolic links to regular files included), names as bytes.
    public static func listFolder(_ folder: URL) throws -> [RootFile] {
        let path = folder.path
        var information = stat()
        guard stat(path, &information) == 0 else {
            guard errno == ENOENT else { throw ToolError("\(path): \(String(cString: strerror(errno)))") }
            throw ToolError("\(path): no such folder; --rootfs takes a folder that exists, whose files join the root file system (e.g. --rootfs ./bin)")
        }
        guard information.st_mode & S_IFMT == S_IFDIR else {
            throw ToolError("\(path) is a file, not a folder: --rootfs takes the folder that holds the files")
        }
        guard let directory = opendir(path) else {
            throw ToolError("\(path): cannot read the folder: \(String(cString: strerror(errno)))")
        }
        defer { closedir(directory) }
        var files: [RootFile] = []
        let prefix = Array(path.utf8) + (path.hasSuffix("/") ? [] : [UInt8(ascii: "/")])
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            let filePath = prefix + name
            var fileInformation = stat()
            let found = (filePath + [0]).withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { stat($0.baseAddress!, &fileInformation) }
            }
            guard found == 0, fileInformation.st_mode & S_IFMT == S_IFREG else { continue }
            files.append(RootFile(name: name, path: filePath))
        }
        return files
    }

    /// The bytes of the file at `path`.
    static func readFile(_ path: [UInt8]) throws -> [UInt8] {
        let descriptor = (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_RDONLY | O_CLOEXEC) }
        }
        guard descriptor >= 0 else {
            throw ToolError("cannot read \(LogText.escaped(path)): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw ToolError("cannot read \(LogText.escaped(path)): \(String(cString: strerror(errno)))") }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }

    /// Throws ``NoSuchProgram`` when the program can be in no root file system of this run: it
    /// is not one of `shippedPrograms` (built or not), not a file of `data` and not a file of
    /// the ``extraFiles`` folders. The error lists every one of these names.
    public func requireProgram(among shippedPrograms: [String], data: URL) throws {
        var names = Set(shippedPrograms.map { Array($0.utf8) })
        for folder in [data] + extraFiles {
            for file in try Self.listFolder(folder) { names.insert(file.name) }
        }
        guard names.contains(program) else {
            throw NoSuchProgram(name: program, files: names.sorted { $0.lexicographicallyPrecedes($1) })
        }
    }
}
