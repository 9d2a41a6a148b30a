import ApusTool
import ArgumentParser

/// `apus cp`: a file into or out of a disk image, without booting.
struct Cp: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a file into a disk image or out of one.",
        discussion: """
            One operand is a file of this machine, the other a path in an image, written IMAGE:PATH where IMAGE \
            is an existing image file (PATH starts at the image's root). The image is mounted with the core's \
            own file system code. As with cp, a target that is a directory receives the file under its own \
            name, and a target file is replaced; the target's directory must exist. To run the cp program in \
            Apus instead: apus run cp.

            Examples:
              apus cp notes.txt disk.img:/notes.txt     into the image
              apus cp notes.txt disk.img:/docs/         into the directory /docs
              apus cp disk.img:/notes.txt copy.txt      out of the image

            Exit status: 0 when the file was copied; 1 when the copy met a problem (a missing path in the \
            image, a full image, a damaged one); 2 when the command line is wrong (no operand is in an image, \
            a missing source file).
            """)

    @Argument(help: "What to copy: a file here, or IMAGE:PATH.")
    var source: String

    @Argument(help: "Where to: IMAGE:PATH, or a file here.")
    var target: String

    func run() throws {
        _ = try reportingImageFailures("cp") { () throws(ImageCommandFailure) in
            try ImageCopy.copy(ImageCopy.operand(source), to: ImageCopy.operand(target))
        }
    }
}
