import ApusCore
import Foundation

/// The scratch images this process made lately, kept as their blocks that hold data, so that
/// a run whose disk would hold the same files as an earlier one's gets a copy instead of a
/// new mkfs; and what the checker found on each, so that a disk no run wrote is not checked
/// again. A test process boots hundreds of machines over the same few sets of files: a copy
/// of the megabyte mkfs writes costs a tenth of making it.
///
/// An image is known by its geometry and its entries, each file by its host file's identity
/// (size, modification and change times: ``BuildFingerprint/identity(of:)``): a file changed
/// since is a different key.
final class DiskTemplates: @unchecked Sendable {
    static let shared = DiskTemplates()

    /// How many images are kept (the oldest goes first).
    static let capacity = 8
    /// The most data an image may hold and be kept: an image of big files (a `--rootfs`
    /// tree of a gigabyte) is made anew each time rather than read back and held.
    static let largestKept = 32 << 20

    /// An image as its size and the runs of blocks that hold data (the rest is holes).
    struct Template {
        var blockCount: UInt64
        var runs: [(first: UInt64, bytes: Data)]
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
            guard let identity = BuildFingerprint.identity(of: String(decoding: source, as: UTF8.self)) else { return nil }
            key += [0xFD] + source + [0xFC] + Array(identity.utf8)
        }
        return key
    }

    /// Writes the image kept under `key` to `url` (a new sparse file); false when none is kept.
    func copy(_ key: [UInt8], to url: URL) throws -> Bool {
        lock.lock()
        let template = templates.first { $0.key == key }?.template
        lock.unlock()
        guard let template else { return false }
        let device = try FileBlockDevice(creatingImageAt: url.path, blockCount: template.blockCount)
        do {
            for run in template.runs {
                try run.bytes.withUnsafeBytes { bytes in
                    for index in 0..<bytes.count / BlockGeometry.blockSize {
                        let block = UnsafeRawBufferPointer(rebasing: bytes[index * BlockGeometry.blockSize..<(index + 1) * BlockGeometry.blockSize])
                        try device.write(block: run.first + UInt64(index), from: block)
                    }
                }
            }
        } catch {
            throw ToolError("cannot write the disk image \(url.path): \(error)")
        }
        return true
    }

    /// Keeps the image at `url` under `key`: the blocks that hold data
    /// (``FileBlockDevice/blocksHoldingData()``). An image that cannot be read so, or holds
    /// more than ``largestKept`` bytes of data, is not kept.
    func keep(_ key: [UInt8], from url: URL) {
        guard let device = try? FileBlockDevice(openingImageAt: url.path, readOnly: true),
              let ranges = device.blocksHoldingData(),
              ranges.reduce(0, { $0 + $1.count }) * BlockGeometry.blockSize <= Self.largestKept else { return }
        var runs: [(first: UInt64, bytes: Data)] = []
        for range in ranges {
            var bytes = Data(count: range.count * BlockGeometry.blockSize)
            let read: Bool = bytes.withUnsafeMutableBytes { buffer in
                range.enumerated().allSatisfy { index, block in
                    let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[index * BlockGeometry.blockSize..<(index + 1) * BlockGeometry.blockSize])
                    return (try? device.read(block: block, into: slice)) != nil
                }
            }
            guard read else { return }
            runs.append((range.lowerBound, bytes))
        }
        lock.lock()
        defer { lock.unlock() }
        templates.removeAll { $0.key == key }
        templates.append((key, Template(blockCount: device.blockCount, runs: runs)))
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
