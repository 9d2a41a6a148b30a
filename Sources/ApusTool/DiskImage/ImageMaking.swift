import ApusCore
import Foundation

/// `apus mkfs`: a new image file holding a KeOS file system (ABI.md §6), empty or with a
/// host folder's tree, made by the core's own mkfs (``FileSystemImage``).
///
/// Unless told otherwise, the image is the one KeOS's tools make: a file of 1 GiB + 1 MiB
/// (262,400 blocks) whose file system counts 250,000 blocks and 32,768 inodes and has a
/// journal. With a block count, the file holds exactly that many blocks. The file is sparse:
/// only the blocks mkfs writes take room on the host.
///
/// The image is made beside its place under a temporary name and renamed over it at the
/// end, so a failure leaves nothing behind, and an existing file (replaced only when asked)
/// is untouched until the new image is whole.
public struct ImageMaking {
    /// The size of the file KeOS's tools make, in blocks: 1 GiB + 1 MiB.
    public static let keosImageBlocks: UInt64 = ((1 << 30) + (1 << 20)) / UInt64(BlockGeometry.blockSize)

    /// Blocks of the file system (and of the file); `nil`: KeOS's 250,000 in a file of
    /// ``keosImageBlocks``.
    public var blockCount: UInt64?
    public var inodeCount = FileSystemGeometry.keos.inodeCount
    public var hasJournal = true
    /// Replace an existing file at the image's path.
    public var replacesExisting = false

    public init() {}

    public var geometry: FileSystemGeometry {
        FileSystemGeometry(blockCount: blockCount ?? FileSystemGeometry.keos.blockCount, inodeCount: inodeCount, hasJournal: hasJournal)
    }

    /// Blocks of the image file.
    public var imageBlocks: UInt64 { blockCount ?? Self.keosImageBlocks }

    /// What was made.
    public struct Summary {
        public var geometry: FileSystemGeometry
        public var imageBlocks: UInt64
        public var tree: HostTree.Tree

        /// One line: the geometry, the file's size, and what the image holds.
        public func describe(_ path: String, from folder: String?) -> String {
            let contents = folder.map { " holding \(tree.fileCount) file\(tree.fileCount == 1 ? "" : "s") and \(tree.directoryCount) director\(tree.directoryCount == 1 ? "y" : "ies") from \($0)" } ?? ", empty"
            return "\(path): a KeOS file system of \(geometry.blockCount) blocks of 4 KiB and \(geometry.inodeCount) inodes, "
                + "\(geometry.hasJournal ? "with" : "without") a journal, in a file of \(imageBlocks) blocks\(contents)"
        }
    }

    /// Makes the image at `path`, holding the tree of `folder` when one is given.
    public func make(at path: String, from folder: String?) throws(ImageCommandFailure) -> Summary {
        if let problem = geometry.problem(onDeviceOf: imageBlocks) {
            throw ImageCommandFailure(.usage, "cannot make that file system: \(problem)")
        }
        var existing = stat()
        if lstat(path, &existing) == 0 {
            guard existing.st_mode & S_IFMT != S_IFDIR else { throw ImageCommandFailure(.usage, "\(path) is a folder; name the image file to make") }
            guard replacesExisting else { throw ImageCommandFailure(.usage, "\(path) exists; give --force to replace it with a new image") }
        }
        let tree = try folder.map { folder throws(ImageCommandFailure) in try HostTree.read(folder) } ?? HostTree.Tree()

        let temporary = URL(fileURLWithPath: path).deletingLastPathComponent()
            .appendingPathComponent(".\(URL(fileURLWithPath: path).lastPathComponent).mkfs-\(getpid())").path
        var done = false
        defer { if !done { unlink(temporary) } }
        do {
            let device = try FileBlockDevice(creatingImageAt: temporary, blockCount: imageBlocks)
            let memory = HostMemory(byteCount: DiskImage.cacheMemoryBytes)
            try FileSystemImage.make(on: device, geometry: geometry, tree: tree.items, frames: FrameAllocator(memory: memory, range: memory.range))
            try device.flush()
        } catch let error as ToolError {
            throw ImageCommandFailure(.problem, "\(error)")
        } catch let error as KernelError where error == .noSpace {
            throw ImageCommandFailure(.problem, "the files of \(folder ?? "the tree") do not fit in \(geometry.dataBlockCount) data blocks and \(geometry.inodeCount) inodes (NoSpace): give more --blocks or --inodes")
        } catch let error as KernelError {
            throw ImageCommandFailure.fileSystem("making \(path)", error)
        } catch {
            throw ImageCommandFailure(.problem, "making \(path): \(error)")
        }
        guard rename(temporary, path) == 0 else {
            throw ImageCommandFailure(.problem, "cannot put the new image at \(path): \(String(cString: strerror(errno)))")
        }
        done = true
        return Summary(geometry: geometry, imageBlocks: imageBlocks, tree: tree)
    }
}
