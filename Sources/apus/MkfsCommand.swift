import ApusCore
import ApusTool
import ArgumentParser

/// `apus mkfs`: a new disk image holding a KeOS file system, empty or with a folder's tree.
struct Mkfs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a disk image holding a KeOS file system, empty or with a folder's tree.",
        discussion: """
            Makes IMAGE, a raw disk image of KeOS's fast file system (the format of spec ABI.md §6), with the \
            core's own mkfs. Unless told otherwise it is the image KeOS's tools make: a sparse file of 1 GiB + \
            1 MiB whose file system has 250,000 blocks of 4 KiB, 32,768 inodes and a journal. With DIR, the image \
            holds DIR's files and folders, subfolders included, at the same paths from its root (a symbolic \
            link to a file becomes a copy; links to folders, sockets and devices are left out and listed). An \
            existing IMAGE is replaced only with --force, and only once the new image is whole.

            Examples:
              apus mkfs disk.img                    KeOS's default image, empty
              apus mkfs disk.img ./tree             with the files and folders of ./tree
              apus mkfs --blocks 16384 --inodes 1024 --no-journal small.img
              apus mkfs --force disk.img ./tree     replace disk.img

            Exit status: 0 when the image is made; 2 when the command line is wrong (IMAGE exists, DIR is \
            missing, a geometry that cannot be); 1 when the tree cannot go in (a name KeOS cannot hold, no space).
            """)

    @Argument(help: "The image file to make.")
    var image: String

    @Argument(help: "A folder whose tree the image holds.")
    var folder: String?

    @Option(help: "Blocks of 4 KiB in the file system and the file (default: 250000 in a file of 1 GiB + 1 MiB).")
    var blocks: UInt64?

    @Option(help: "Inodes: the most files and directories the image can hold.")
    var inodes: UInt64 = FileSystemGeometry.keos.inodeCount

    @Flag(help: "Make the file system without a journal.")
    var noJournal = false

    @Flag(help: "Replace IMAGE if it exists.")
    var force = false

    func run() throws {
        var making = ImageMaking()
        making.blockCount = blocks
        making.inodeCount = inodes
        making.hasJournal = !noJournal
        making.replacesExisting = force
        let summary = try reportingImageFailures("mkfs") { () throws(ImageCommandFailure) in try making.make(at: image, from: folder) }
        for line in summary.tree.leftOut { note("apus mkfs: left out \(line)") }
        print(summary.describe(image, from: folder))
    }
}

/// Runs an image command's work; a failure is printed as `apus COMMAND: message` and the
/// command exits with its status (2: the command line, 1: a problem found).
func reportingImageFailures<Result>(_ command: String, _ body: () throws(ImageCommandFailure) -> Result) throws -> Result {
    do {
        return try body()
    } catch {
        note("apus \(command): \(error)")
        throw ExitCode(error.exitStatus)
    }
}
