import ApusCore

/// Why an image command (`apus mkfs`, `fsck`, `ls`, `cp`) did not do what it was asked, in
/// words a person can act on, and the exit status that says which kind of failure it is:
/// 2 when the command line is wrong (a missing image, an existing one without `--force`, a
/// geometry that cannot be), 1 when the work met a problem (a damaged image, a path that is
/// not there, a full disk).
public struct ImageCommandFailure: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The command line cannot be carried out as written; nothing was done.
        case usage
        /// The command ran into a problem with the image or the files.
        case problem
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// The status the command exits with.
    public var exitStatus: Int32 { kind == .usage ? 2 : 1 }

    /// `what` failed with `error` from the file system: the error in words, with its name.
    static func fileSystem(_ what: String, _ error: KernelError) -> ImageCommandFailure {
        ImageCommandFailure(.problem, "\(what): \(error.explanation) (\(error))")
    }
}

extension KernelError {
    /// What the error means when an image tool meets it, in words.
    var explanation: String {
        switch self {
        case .noSuchEntry: "no such file or directory"
        case .notDirectory: "a component of the path is not a directory"
        case .isDirectory: "is a directory"
        case .fileExist: "a file or directory of that name exists"
        case .nameTooLong: "a name is longer than \(DirectoryBlock.maximumNameLength) bytes"
        case .invalidArgument: "a name is not UTF-8 or holds a NUL byte"
        case .noSpace: "no space left in the image (blocks or inodes)"
        case .ioError: "the image is damaged there, or could not be read or written (apus fsck IMAGE says what is wrong)"
        case .noMemory: "the tool ran out of memory for the file system's caches"
        case .busy: "the root, `.` or `..` cannot be replaced"
        case .directoryNotEmpty: "the directory is not empty"
        default: "the file system refused it"
        }
    }
}
