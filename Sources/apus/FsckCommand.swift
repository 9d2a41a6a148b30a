import ApusTool
import ArgumentParser

/// `apus fsck`: every rule of the on-disk format, checked on an image.
struct Fsck: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a disk image's file system against every rule of its format.",
        discussion: """
            Reads IMAGE without mounting it and without changing it, and checks every rule of KeOS's on-disk \
            format (spec ABI.md §6): the superblock and its counts, the bitmaps against what the tree reaches, \
            every inode and directory (`.` and `..`, names, sizes, link counts), no block used twice, no cycle, \
            and the journal. A journal holding a committed transaction that no mount has replayed yet is \
            reported with what the replay would change, and the rest is checked as the replay would leave it.

            Prints one line per problem, or one line saying the image is clean.

            Examples:
              apus fsck disk.img
              apus run --disk disk.img fscalls && apus fsck disk.img

            Exit status: 0 when the image is clean, 1 when a problem was found (one line each on standard \
            output), 2 when IMAGE is missing or not a file.
            """)

    @Argument(help: "The image file to check.")
    var image: String

    func run() throws {
        let report = try reportingImageFailures("fsck") { () throws(ImageCommandFailure) in try ImageCheck.check(image) }
        if let summary = report.summary {
            print(summary)
            return
        }
        for line in report.problems { print(line) }
        note("apus fsck: \(image): \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s")")
        throw ExitCode(1)
    }
}
