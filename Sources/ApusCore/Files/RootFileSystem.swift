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
    /// The most files an image may hold: each costs the kernel heap an object and its name,
    /// so an image cannot be allowed to fill the heap.
    public static let maximumFileCount = 16_384

    public private(set) var files: [RegularFile] = []

    /// The file system in the image at `image`; ``KernelError/invalidArgument`` when the
    /// image is damaged (a name or file outside it, a bad magic), holds more than
    /// ``maximumFileCount`` files or a name longer than ``maximumNameLength`` bytes.
    public init(image: UnsafeMutableRawBufferPointer) throws(KernelError) {
        guard image.count >= 12, Array(image[0..<8]) == Self.magic else { throw .invalidArgument }
        let count = Int(UInt32(littleEndianBytes: image, at: 8))
        guard count <= Self.maximumFileCount else { throw .invalidArgument }
        var cursor = 12
        for _ in 0..<count {
            guard cursor + 2 <= image.count else { throw .invalidArgument }
            let nameLength = Int(UInt16(littleEndianBytes: image, at: cursor))
            cursor += 2
            guard nameLength > 0, nameLength <= Self.maximumNameLength, cursor + nameLength + 16 <= image.count else { throw .invalidArgument }
            let name = Array(image[cursor..<(cursor + nameLength)])
            cursor += nameLength
            let offset = UInt64(littleEndianBytes: image, at: cursor)
            let size = UInt64(littleEndianBytes: image, at: cursor + 8)
            cursor += 16
            let (end, overflow) = offset.addingReportingOverflow(size)
            guard !overflow, end <= UInt64(image.count) else { throw .invalidArgument }
            let storage = UnsafeMutableRawBufferPointer(rebasing: image[Int(offset)..<Int(end)])
            files.append(RegularFile(name: name, storage: storage, index: files.count))
        }
    }

    /// The file called `path` (its name, or its name after one leading `/`).
    public func file(at path: [UInt8]) -> RegularFile? {
        let name = path.first == UInt8(ascii: "/") ? Array(path.dropFirst()) : path
        return files.first { $0.name == name }
    }

    /// The image holding `files` (name and contents), in the format above.
    public static func image(of files: [(name: [UInt8], contents: [UInt8])]) -> [UInt8] {
        var header = magic + UInt32(files.count).littleEndianBytes
        let directorySize = files.reduce(12) { $0 + 2 + $1.name.count + 16 }
        var offset = UInt64(directorySize)
        var contents: [UInt8] = []
        for file in files {
            header += UInt16(file.name.count).littleEndianBytes + file.name + offset.littleEndianBytes + UInt64(file.contents.count).littleEndianBytes
            contents += file.contents
            offset += UInt64(file.contents.count)
        }
        return header + contents
    }
}
