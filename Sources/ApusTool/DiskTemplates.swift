import Foundation

#if os(Linux)
/// lseek's whence for the next data and the next hole (Glibc declares them only with _GNU_SOURCE).
private let seekData: Int32 = 3, seekHole: Int32 = 4
#else
private let seekData = SEEK_DATA, seekHole = SEEK_HOLE
#endif

/// The scratch images this process made lately, kept as their written extents, so that a run
/// whose disk would hold the same files as an earlier one's gets a copy instead of a new
/// mkfs; and what the checker found on each, so that a disk no run wrote is not checked
/// again. A test process boots hundreds of machines over the same few sets of files: a copy
/// of the megabyte mkfs writes costs a tenth of making it.
///
/// An image is known by its geometry and its entries, each file by its host file's device,
/// inode, size and change and modification times: a file changed since is a different key.
final class DiskTemplates: @unchecked Sendable {
    static let shared = DiskTemplates()

    /// How many images are kept (the oldest goes first).
    static let capacity = 8
    /// The most data an image may hold and be kept: an image of big files (a `--rootfs`
    /// tree of a gigabyte) is made anew each time rather than read back and held.
    static let largestKept = 32 << 20

    /// An image as its length and the byte ranges that hold data (the rest is a hole).
    struct Template {
        var length: off_t
        var extents: [(offset: off_t, bytes: Data)]
        /// What the checker found on it, once asked.
        var problems: [String]?
    }

    private let lock = NSLock()
    private var templates: [(key: [UInt8], template: Template)] = []

    /// The key of an image of `entries` and `geometry`; `nil` when a host file cannot be read.
    static func key(entries: [RunDisk.Entry], geometry: String) -> [UInt8]? {
        var key = Array(geometry.utf8)
        for entry in entries {
            key += [0xFF] + entry.path + [0xFE] + (entry.linkTarget ?? [])
            guard let source = entry.source else { continue }
            var status = stat()
            guard stat(String(decoding: source, as: UTF8.self), &status) == 0 else { return nil }
            key += [0xFD] + source
            for number in [UInt64(status.st_dev), UInt64(status.st_ino), UInt64(status.st_size),
                           UInt64(status.st_mtim.tv_sec), UInt64(status.st_mtim.tv_nsec),
                           UInt64(status.st_ctim.tv_sec), UInt64(status.st_ctim.tv_nsec)] {
                key += withUnsafeBytes(of: number.littleEndian, Array.init)
            }
        }
        return key
    }

    /// When the file at `url` last changed, and its size: equal before and after a run when
    /// the run wrote nothing to it (QEMU writes long after the image is made, well past the
    /// host's coarsest timestamp tick).
    static func changeStamp(of url: URL) -> [Int]? {
        var status = stat()
        guard stat(url.path, &status) == 0 else { return nil }
        return [status.st_mtim.tv_sec, status.st_mtim.tv_nsec, status.st_ctim.tv_sec, status.st_ctim.tv_nsec, Int(status.st_size)]
    }

    /// Writes the image kept under `key` to `url` (a new sparse file); false when none is kept.
    func copy(_ key: [UInt8], to url: URL) throws -> Bool {
        lock.lock()
        let template = templates.first { $0.key == key }?.template
        lock.unlock()
        guard let template else { return false }
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ToolError("cannot make the disk image \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard ftruncate(descriptor, template.length) == 0 else {
            throw ToolError("cannot make the disk image \(url.path): \(String(cString: strerror(errno)))")
        }
        for extent in template.extents {
            let written = extent.bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, extent.offset) }
            guard written == extent.bytes.count else {
                throw ToolError("cannot write the disk image \(url.path): \(String(cString: strerror(errno)))")
            }
        }
        return true
    }

    /// Keeps the image at `url` under `key`: its data extents, found with SEEK_DATA and
    /// SEEK_HOLE. An image that cannot be read so, or holds more than ``largestKept`` bytes
    /// of data, is not kept.
    func keep(_ key: [UInt8], from url: URL) {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let length = lseek(descriptor, 0, SEEK_END)
        var extents: [(offset: off_t, bytes: Data)] = []
        var offset: off_t = 0, held = 0
        while offset < length {
            let start = lseek(descriptor, offset, seekData)
            guard start >= 0 else { break } // no data past `offset` (ENXIO)
            let end = lseek(descriptor, start, seekHole)
            held += Int(end - start)
            guard end > start, held <= Self.largestKept else { return }
            var bytes = Data(count: Int(end - start))
            let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, start) }
            guard read == bytes.count else { return }
            extents.append((start, bytes))
            offset = end
        }
        lock.lock()
        defer { lock.unlock() }
        templates.removeAll { $0.key == key }
        templates.append((key, Template(length: length, extents: extents)))
        if templates.count > Self.capacity { templates.removeFirst() }
    }

    /// What the checker finds on the image kept under `key`, checking it once (at `url`, a copy
    /// no run has written).
    func problems(_ key: [UInt8], checking url: URL) -> [String] {
        lock.lock()
        let known = templates.first { $0.key == key }?.template.problems
        lock.unlock()
        if let known { return known }
        let problems = RunDisk.problems(of: url)
        lock.lock()
        if let index = templates.firstIndex(where: { $0.key == key }) { templates[index].template.problems = problems }
        lock.unlock()
        return problems
    }
}
