/// The root file system: one flat directory of regular files, handed to the kernel at boot
/// as an image (ABI.md §2).
///
/// The image format, little-endian, is as simple as a tar file without its history:
///
/// ```
/// "APUSROOT"                     8 bytes, magic
/// count                          UInt32, number of files
/// count × { nameLength UInt16, name bytes, offset UInt64, size UInt64 }
/// file contents                  at their offsets from the image's start
/// ```
///
/// The kernel reads files from the image where the loader put it and overwrites them in
/// place, so each boot starts from the pristine image on the host.
public final class RootFileSystem {
    public static let magic: [UInt8] = Array("APUSROOT".utf8)
    /// The longest file name.
    public static let maximumNameLength = 255

    public private(set) var files: [RegularFile] = []

    /// The file system in the image at `image`; ``KernelError/invalidArgument`` when the
    /// image is damaged (a name or file outside it, a bad magic).
    public init(image: UnsafeMutableRawBufferPointer) throws(KernelError) {
        guard image.count >= 12, Array(image[0..<8]) == Self.magic else { throw .invalidArgument }
        let count = Int(Self.load(UInt32.self, image, at: 8))
        var cursor = 12
        for _ in 0..<count {
            guard cursor + 2 <= image.count else { throw .invalidArgument }
            let nameLength = Int(Self.load(UInt16.self, image, at: cursor))
            cursor += 2
            guard nameLength > 0, cursor + nameLength + 16 <= image.count else { throw .invalidArgument }
            let name = Array(image[cursor..<(cursor + nameLength)])
            cursor += nameLength
            let offset = Self.load(UInt64.self, image, at: cursor)
            let size = Self.load(UInt64.self, image, at: cursor + 8)
            cursor += 16
            let (end, overflow) = offset.addingReportingOverflow(size)
            guard !overflow, end <= UInt64(image.count) else { throw .invalidArgument }
            let storage = UnsafeMutableRawBufferPointer(rebasing: image[Int(offset)..<Int(end)])
            files.append(RegularFile(name: name, storage: storage))
        }
    }

    /// The file called `path` (its name, or its name after one leading `/`).
    public func file(at path: [UInt8]) -> RegularFile? {
        let name = path.first == UInt8(ascii: "/") ? Array(path.dropFirst()) : path
        return files.first { $0.name == name }
    }

    /// The image holding `files` (name and contents), in the format above.
    public static func image(of files: [(name: [UInt8], contents: [UInt8])]) -> [UInt8] {
        var header = magic + bytes(of: UInt32(files.count))
        let directorySize = files.reduce(12) { $0 + 2 + $1.name.count + 16 }
        var offset = UInt64(directorySize)
        var contents: [UInt8] = []
        for file in files {
            header += bytes(of: UInt16(file.name.count)) + file.name + bytes(of: offset) + bytes(of: UInt64(file.contents.count))
            contents += file.contents
            offset += UInt64(file.contents.count)
        }
        return header + contents
    }

    private static func bytes<T: FixedWidthInteger>(of value: T) -> [UInt8] {
        (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    private static func load<T: FixedWidthInteger>(_ type: T.Type, _ image: UnsafeMutableRawBufferPointer, at offset: Int) -> T {
        var value: T = 0
        for index in (0..<MemoryLayout<T>.size).reversed() { value = value << 8 | T(image[offset + index]) }
        return value
    }
}
