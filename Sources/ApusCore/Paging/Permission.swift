/// What a mapping allows: the permission of a region or of one page.
///
/// The bits are part of the contract (ABI.md §4): READ, WRITE and EXECUTABLE equal the
/// `PROT_*` values a program passes to `mmap`, and USER marks memory that ring 3 may touch.
/// x86-64 cannot express "write but not read" or "execute but not read", so every mapping
/// must include READ.
public struct Permission: OptionSet, Hashable, Sendable {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let read = Permission(rawValue: 1)
    public static let write = Permission(rawValue: 2)
    public static let executable = Permission(rawValue: 4)
    public static let user = Permission(rawValue: 8)

    /// Every bit that has a meaning.
    public static let all: Permission = [.read, .write, .executable, .user]

    /// The bits a program may pass as `prot` to `mmap`: `PROT_READ | PROT_WRITE | PROT_EXEC`.
    public static let protectionBits: Permission = [.read, .write, .executable]
}

extension Permission: CustomStringConvertible {
    /// `rwxu` with dashes for missing bits, like `ls -l`: `r-xu` is user read-execute.
    public var description: String {
        var text = ""
        text += contains(.read) ? "r" : "-"
        text += contains(.write) ? "w" : "-"
        text += contains(.executable) ? "x" : "-"
        text += contains(.user) ? "u" : "-"
        return text
    }
}

/// The kind of access that a memory operation or a page fault makes.
public enum AccessKind: Sendable, Hashable {
    case read
    case write
    case execute

    /// The permission a mapping needs to allow this access.
    @inlinable public var requiredPermission: Permission {
        switch self {
        case .read: .read
        case .write: [.read, .write]
        case .execute: [.read, .executable]
        }
    }
}
