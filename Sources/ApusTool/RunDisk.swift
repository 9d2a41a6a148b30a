import ApusCore
import Foundation

/// The disk a run boots with: an image of KeOS's file system (ABI.md §6) that the tool makes
/// for every run (or copies from an earlier run's with the same files: DiskTemplates.swift)
/// with the core's own code (``FileSystemImage``) over an image file
/// (``FileBlockDevice``), holding the run's programs and data at `/NAME`, the `--rootfs`
/// trees with their subdirectories, and a busybox found there installed in `/bin` with a
/// name per applet (BusyboxInstall.swift); and what the tool reads from an image after a run, with
/// the same code: the names of its files (for the memory maps, which name files by inode),
/// and what the checker (``FileSystemCheck``) finds wrong with it.
///
/// A new image has KeOS's default geometry (1 GiB + 1 MiB, 32,768 inodes, a journal) and is
/// sparse: only the blocks mkfs writes take room on the host, so making one for a run of
/// `hello` costs a few milliseconds and a megabyte.
public enum RunDisk {
    /// Frames for the file system's caches while the tool makes or reads an image (host
    /// memory, touched only as used).
    static let hostMemory = 64 << 20
    /// Pages the page cache holds while mkfs writes files (each goes home once when evicted).
    static let pageCacheCapacity = 2_048

    /// One thing to put on the disk: a directory, a file with the host path of its bytes, or
    /// a second name (a hard link) of a file put there before it.
    public struct Entry: Sendable, Equatable {
        /// Its path on the disk, from the root, without a leading `/`.
        public var path: [UInt8]
        /// The host file whose bytes it holds; `nil` for a directory or a link.
        public var source: [UInt8]?
        /// For a link: the path on the disk of the file it names too.
        public var linkTarget: [UInt8]?

        public init(path: [UInt8], source: [UInt8]?, linkTarget: [UInt8]? = nil) {
            self.path = path
            self.source = source
            self.linkTarget = linkTarget
        }

        /// Whether it is a file (its own bytes, or a link to a file's).
        public var isFile: Bool { source != nil || linkTarget != nil }
    }

    /// Makes a new image at `url` (replacing any file there) of `geometry`, holding `entries`;
    /// `durable` when the image is kept (its bytes reach the host's disk before this returns).
    public static func make(at url: URL, entries: [Entry], geometry: FileSystemGeometry = .keos, durable: Bool = true) throws {
        let device = try FileBlockDevice(creatingImageAt: url.path, blockCount: geometry.blockCount)
        device.flushesToDisk = durable
        let memory = HostMemory(byteCount: hostMemory)
        let frames = FrameAllocator(memory: memory, range: memory.range)
        let tree = try entries.map { entry -> FileSystemImage.Item in
            if let target = entry.linkTarget { return .link(path: entry.path, target: target) }
            guard let source = entry.source else { return .directory(path: entry.path) }
            return .file(path: entry.path, contents: try ProgramRun.readFile(source))
        }
        do throws(KernelError) {
            try FileSystemImage.make(on: device, geometry: geometry, tree: tree, frames: frames)
        } catch {
            throw ToolError("cannot make the disk image \(url.path): \(error)")
        }
    }

    /// Every path of the image at `url` by inode number, from the root and without a leading
    /// `/` (`hello`, `data/f`; the root itself is `/`), read with the core's file system;
    /// empty when the image does not mount.
    public static func pathsByInode(of url: URL) -> [UInt32: [UInt8]] {
        guard let device = try? FileBlockDevice(openingImageAt: url.path) else { return [:] }
        let memory = HostMemory(byteCount: hostMemory)
        let frames = FrameAllocator(memory: memory, range: memory.range)
        guard let fileSystem = try? FileSystem.mount(device, frames: frames) else { return [:] }
        defer { try? fileSystem.unmount() }
        var paths: [UInt32: [UInt8]] = [FileSystem<HostMemory>.rootInode: [UInt8(ascii: "/")]]
        var directories: [[UInt8]] = [[UInt8(ascii: "/")]]
        while let directory = directories.popLast() {
            guard let listing = try? fileSystem.list(directory == [UInt8(ascii: "/")] ? directory : [UInt8(ascii: "/")] + directory) else { continue }
            for (entry, status) in listing where entry.name != DirectoryBlock.dot && entry.name != DirectoryBlock.dotDot {
                let path = directory == [UInt8(ascii: "/")] ? entry.name : directory + [UInt8(ascii: "/")] + entry.name
                guard paths[entry.inode] == nil else { continue }
                paths[entry.inode] = path
                if status.type == .directory { directories.append(path) }
            }
        }
        return paths
    }

    /// What the checker finds wrong with the image at `url`: one line per problem, empty when
    /// it is clean.
    public static func problems(of url: URL) -> [String] {
        do {
            return FileSystemCheck.check(try FileBlockDevice(openingImageAt: url.path))
        } catch {
            return ["\(error)"]
        }
    }
}

