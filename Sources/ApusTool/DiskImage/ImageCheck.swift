import ApusCore

/// `apus fsck`: every rule of the on-disk format checked on an image file
/// (``FileSystemCheck``), without mounting it and without changing a byte.
///
/// A committed journal transaction that a mount has not yet replayed is reported as a
/// problem, with what the replay would change; the rest of the image is checked as the
/// replay would leave it.
public enum ImageCheck {
    /// What the check found.
    public struct Report {
        /// One line per problem; empty when the image is clean.
        public var problems: [String]
        /// When clean: the geometry and how full the image is, in one line.
        public var summary: String?
    }

    /// Checks the image at `path`.
    public static func check(_ path: String) throws(ImageCommandFailure) -> Report {
        try DiskImage.requireImageFile(path)
        let device: FileBlockDevice
        do { device = try FileBlockDevice(openingImageAt: path, readOnly: true) } catch { throw ImageCommandFailure(.problem, "\(error)") }
        let problems = FileSystemCheck.check(device)
        guard problems.isEmpty, let block = try? device.read(block: 1),
              let superblock = block.withUnsafeBytes({ Superblock($0) }) else { return Report(problems: problems) }
        let geometry = superblock.geometry
        return Report(problems: [], summary: "\(path): clean; \(geometry.blockCount) blocks, \(geometry.inodeCount) inodes, "
            + "\(geometry.hasJournal ? "with" : "without") a journal; in use: \(superblock.usedInodeCount) of \(geometry.inodeCount) inodes, "
            + "\(superblock.usedBlockCount) of \(geometry.dataBlockCount) data blocks")
    }
}
