import Foundation

/// Where the Apus sources are: the `apus` tool works on the checkout it was built from,
/// wherever it is run.
public struct Workspace: Sendable {
    /// The repository root (the folder of the root `Package.swift`).
    public let root: URL

    public init(root: URL) { self.root = root }

    /// The checkout this tool was compiled from.
    public static let current = Workspace(
        root: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())

    /// The kernel's package.
    public var kernelPackage: URL { root.appendingPathComponent("Kernel") }
}
