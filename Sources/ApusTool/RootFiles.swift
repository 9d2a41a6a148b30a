import ApusCore
import Foundation

/// The files of a run's root file system, read from the host's folders as bytes: the built
/// programs, the data files, and the `--rootfs` folders (a later folder's file wins over an
/// earlier one's of the same name).
extension ProgramRun {
    /// A file of the root file system: its name (bytes, as the folder holds it) and where it is.
    public struct RootFile: Sendable {
        public var name: [UInt8]
        /// The file's path, as bytes (a name need not be UTF-8).
        public var path: [UInt8]
        /// The name, readable.
        public var displayName: String { LogText.escaped(name) }
    }

    /// The root file system's files: programs, data, extra folders (later ones win). A folder
    /// that is missing or is not a folder is an error, not silence.
    public static func rootFiles(programs: URL, data: URL, extra: [URL]) throws -> [RootFile] {
        var files: [[UInt8]: [UInt8]] = [:]
        for folder in [programs, data] + extra {
            for file in try listFolder(folder) { files[file.name] = file.path }
        }
        return files.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { RootFile(name: $0, path: files[$0]!) }
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
