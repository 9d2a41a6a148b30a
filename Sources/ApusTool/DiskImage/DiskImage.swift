import ApusCore
import Foundation

/// A disk image file mounted on the host with the core's own file system code: what `apus ls`
/// and `apus cp` read and write, so that what the kernel wrote is read back by code that
/// never ran in the kernel's memory.
///
/// Mounting does what the kernel's mount does: a committed journal transaction is replayed,
/// inodes a power cut left unlinked but allocated are freed. Opened read-only, the image goes
/// through a ``WriteOverlay``: the mount's own writes stay in memory, so the file is never
/// changed, and yet the tree shown is the one the kernel would see.
public final class DiskImage {
    public let path: String
    public let fileSystem: FileSystem<HostMemory>
    public let isWritable: Bool
    private let memory: HostMemory

    /// The host memory the file system's caches take their frames from: the block cache
    /// (4 MiB) and the page cache (16 MiB) with room for transactions' copies. Pages are
    /// touched only when used.
    static let cacheMemoryBytes = 64 << 20

    /// Opens and mounts the image at `path`; with `writable`, changes reach the file at
    /// ``close()``.
    public init(openingImageAt path: String, writable: Bool) throws(ImageCommandFailure) {
        try Self.requireImageFile(path)
        let file: FileBlockDevice
        do { file = try FileBlockDevice(openingImageAt: path, readOnly: !writable) } catch {
            throw ImageCommandFailure(.problem, "\(error)")
        }
        self.path = path
        isWritable = writable
        memory = HostMemory(byteCount: Self.cacheMemoryBytes)
        let frames = FrameAllocator(memory: memory, range: memory.range)
        let device: any BlockDevice = writable ? file : WriteOverlay(over: file)
        do {
            fileSystem = try FileSystem.mount(device, frames: frames)
        } catch {
            throw ImageCommandFailure(.problem, "\(path) cannot be mounted: \(error.reason) (apus fsck \(path) lists every problem)")
        }
    }

    /// Writes every change to the image file and makes it durable (for a writable image), and
    /// lets the file system go.
    public func close() throws(ImageCommandFailure) {
        do { try fileSystem.unmount() } catch {
            throw ImageCommandFailure.fileSystem("\(path): writing the changes back", error)
        }
    }

    /// A usage failure unless `path` is an existing regular file (or a link to one).
    public static func requireImageFile(_ path: String) throws(ImageCommandFailure) {
        var information = stat()
        guard stat(path, &information) == 0 else {
            if errno == ENOENT { throw ImageCommandFailure(.usage, "\(path): no such image file (apus mkfs \(path) makes one)") }
            throw ImageCommandFailure(.usage, "\(path): \(String(cString: strerror(errno)))")
        }
        guard information.st_mode & S_IFMT == S_IFREG else {
            throw ImageCommandFailure(.usage, "\(path) is not a disk image file (\(information.st_mode & S_IFMT == S_IFDIR ? "a folder" : "not a regular file"))")
        }
    }

    /// `path` split and checked as a path in the image (absolute; a relative one starts at
    /// the root), or a failure naming it as `shown`.
    static func imagePath(_ path: [UInt8], shown: String) throws(ImageCommandFailure) -> [UInt8] {
        let absolute = path.first == UInt8(ascii: "/") ? path : [UInt8(ascii: "/")] + path
        do { _ = try PathName(absolute) } catch { throw ImageCommandFailure.fileSystem(shown, error) }
        return absolute
    }
}
