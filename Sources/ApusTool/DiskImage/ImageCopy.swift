import ApusCore
import Foundation

/// `apus cp`: a file copied into an image (`apus cp HOSTFILE IMAGE:/path`) or out of one
/// (`apus cp IMAGE:/path HOSTFILE`), through the core's file system.
///
/// An operand is in an image when it reads `IMAGE:PATH` and IMAGE is an existing regular
/// file (the first such `:` counts; PATH is from the image's root). Like `cp`, a target that
/// is a directory (or ends in `/`) receives the file under the source's last name, a
/// target file is replaced, and the target's parent must exist.
public enum ImageCopy {
    public enum Operand: Equatable, Sendable {
        case host(String)
        case image(file: String, path: [UInt8])

        /// How a message names it.
        var shown: String {
            switch self {
            case .host(let path): path
            case .image(let file, let path): "\(file):\(LogText.escaped(path))"
            }
        }
    }

    /// `word` as an operand: in an image when it reads `IMAGE:PATH` with IMAGE an existing
    /// regular file, on the host otherwise.
    public static func operand(_ word: String) -> Operand {
        var searchStart = word.startIndex
        while let colon = word[searchStart...].firstIndex(of: ":") {
            let file = String(word[..<colon])
            var information = stat()
            if !file.isEmpty, stat(file, &information) == 0, information.st_mode & S_IFMT == S_IFREG {
                let path = Array(word[word.index(after: colon)...].utf8)
                return .image(file: file, path: path.isEmpty ? [UInt8(ascii: "/")] : path)
            }
            searchStart = word.index(after: colon)
        }
        return .host(word)
    }

    /// Copies `source` to `target`; returns what was done, in one line.
    public static func copy(_ source: Operand, to target: Operand) throws(ImageCommandFailure) -> String {
        switch (source, target) {
        case (.host(let hostFile), .image(let image, let path)):
            return try copyIn(hostFile, to: image, path)
        case (.image(let image, let path), .host(let hostFile)):
            return try copyOut(image, path, to: hostFile)
        case (.host, .host):
            throw ImageCommandFailure(.usage, "neither \(source.shown) nor \(target.shown) is in an image: write IMAGE:/path, with IMAGE an existing image file")
        case (.image, .image):
            throw ImageCommandFailure(.usage, "both operands are in images: apus cp copies into an image (HOSTFILE IMAGE:/path) or out of one (IMAGE:/path HOSTFILE)")
        }
    }

    private static func copyIn(_ hostFile: String, to imageFile: String, _ requested: [UInt8]) throws(ImageCommandFailure) -> String {
        var information = stat()
        guard stat(hostFile, &information) == 0 else { throw ImageCommandFailure(.usage, "\(hostFile): \(String(cString: strerror(errno)))") }
        guard information.st_mode & S_IFMT == S_IFREG else { throw ImageCommandFailure(.usage, "\(hostFile) is not a regular file: apus cp copies files") }
        let bytes: [UInt8]
        do { bytes = try ProgramRun.readFile(Array(hostFile.utf8)) } catch { throw ImageCommandFailure(.problem, "\(error)") }
        let shown = Operand.image(file: imageFile, path: requested).shown
        let image = try DiskImage(openingImageAt: imageFile, writable: true)
        let fileSystem = image.fileSystem
        var path = try DiskImage.imagePath(requested, shown: shown)
        let root = FileSystem<HostMemory>.rootInode
        do throws(KernelError) {
            if requested.last == UInt8(ascii: "/") || (try? fileSystem.status(path, from: root))?.type == .directory {
                guard try fileSystem.status(path, from: root).type == .directory else { throw .notDirectory }
                path = Array(path.reversed().drop { $0 == UInt8(ascii: "/") }.reversed()) + [UInt8(ascii: "/")] + lastName(Array(hostFile.utf8))
            }
            let parent = Array(path[..<(path.lastIndex(of: UInt8(ascii: "/")) ?? 0)])
            guard try fileSystem.status(parent.isEmpty ? [UInt8(ascii: "/")] : parent, from: root).type == .directory else { throw .notDirectory }
            try fileSystem.makeFile(path, contents: bytes)
        } catch {
            throw ImageCommandFailure.fileSystem(Operand.image(file: imageFile, path: path).shown, error)
        }
        try image.close()
        return "\(hostFile) -> \(Operand.image(file: imageFile, path: path).shown) (\(bytes.count) bytes)"
    }

    private static func copyOut(_ imageFile: String, _ requested: [UInt8], to hostFile: String) throws(ImageCommandFailure) -> String {
        let path = try DiskImage.imagePath(requested, shown: Operand.image(file: imageFile, path: requested).shown)
        let shown = Operand.image(file: imageFile, path: path).shown
        let image = try DiskImage(openingImageAt: imageFile, writable: false)
        let bytes: [UInt8]
        do throws(KernelError) {
            bytes = try image.fileSystem.contents(of: path)
        } catch .isDirectory {
            throw ImageCommandFailure(.problem, "\(shown) is a directory: apus cp copies files")
        } catch {
            throw ImageCommandFailure.fileSystem(shown, error)
        }
        var target = hostFile
        var information = stat()
        if stat(hostFile, &information) == 0, information.st_mode & S_IFMT == S_IFDIR {
            target = URL(fileURLWithPath: hostFile).appendingPathComponent(String(decoding: lastName(path), as: UTF8.self)).path
        }
        do { try Data(bytes).write(to: URL(fileURLWithPath: target)) } catch {
            throw ImageCommandFailure(.problem, "cannot write \(target): \((error as NSError).localizedDescription)")
        }
        return "\(shown) -> \(target) (\(bytes.count) bytes)"
    }

    /// The last component of `path`.
    private static func lastName(_ path: [UInt8]) -> [UInt8] {
        let trimmed = path.reversed().drop { $0 == UInt8(ascii: "/") }.reversed()
        return Array(trimmed.split(separator: UInt8(ascii: "/")).last ?? [])
    }
}
