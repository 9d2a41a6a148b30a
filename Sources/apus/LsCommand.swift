import ApusTool
import ArgumentParser
import Foundation

/// `apus ls`: the entries of directories in a disk image, without booting.
struct Ls: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List directories in a disk image, as the ls program does in Apus.",
        discussion: """
            Mounts IMAGE with the core's own file system code (without changing the file: what a mount does, \
            such as replaying the journal, stays in memory) and lists each PATH (default: the root) exactly \
            as Apus's own ls prints it: dot names only with -a, `.` and `..` first and then by bytes (or the \
            directory's order with -U), and with -l `TYPE INODE LINKS SIZE NAME` (LINKS: the link count, \
            which Apus's ls does not show). PATHs start at the image's root.
            To run the ls program in Apus instead: apus run ls.

            Examples:
              apus ls disk.img                  the root's names
              apus ls -l disk.img /bin          type, inode, link count, size and name of each entry
              apus ls -la disk.img / /tmp       dot names too, two directories

            Exit status: 0 when every PATH was listed; 1 when one could not be (each is named on standard \
            error) or the image cannot be mounted; 2 when IMAGE is missing or not a file.
            """)

    @Flag(name: .customShort("a"), help: "Show names that start with a dot.")
    var all = false

    @Flag(name: .customShort("l"), help: "Show the type, inode number, link count and size of each entry.")
    var long = false

    @Flag(name: .customShort("U"), help: "Keep the directory's own order.")
    var unsorted = false

    @Argument(help: "The image file.")
    var image: String

    @Argument(help: "Paths in the image (default: /).")
    var paths: [String] = []

    func run() throws {
        var listing = ImageListing()
        listing.showsAll = all
        listing.longFormat = long
        listing.directoryOrder = unsorted
        let opened = try reportingImageFailures("ls") { () throws(ImageCommandFailure) in try DiskImage(openingImageAt: image, writable: false) }
        let result = listing.list((paths.isEmpty ? ["/"] : paths).map { Array($0.utf8) }, in: opened.fileSystem)
        _ = writeAll(STDOUT_FILENO, Data(result.output))
        for problem in result.problems { note("apus ls: \(image):\(problem)") }
        if !result.problems.isEmpty { throw ExitCode(1) }
    }
}
