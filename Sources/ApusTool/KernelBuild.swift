import Foundation

/// Building the kernel: `swift build` on the `Kernel` package for bare-metal x86-64, whose
/// manifest makes the kernel, with ApusCore's sources, one module of Embedded Swift
/// (DESIGN.md, "Facts that shape the layout"). SwiftPM rebuilds only what changed, but even
/// finding that nothing did costs about 0.6 s, so `swift build` runs only when the inputs'
/// fingerprint (``inputs``) differs from the last successful build's, kept beside the
/// kernel (``BuildFingerprint``).
public struct KernelBuild: Sendable {
    public let workspace: Workspace

    public init(workspace: Workspace = .current) { self.workspace = workspace }

    public static let triple = "x86_64-unknown-none-elf"

    /// The arguments of `swift build` for the kernel: the target and the configuration. Every
    /// other flag is in the kernel package's manifest (Kernel/Package.swift), whose one
    /// module holds the core's sources too.
    public static let flags: [String] = ["--triple", triple, "-c", "release"]

    /// The arguments of `swift` that build the kernel (CI runs the same, from a checkout's
    /// root, before the tool exists: .ci/run).
    public var arguments: [String] {
        ["build", "--package-path", workspace.kernelPackage.path, "--disable-build-manifest-caching"] + Self.flags
    }

    /// The kernel ELF file a build produces.
    public var kernelImage: URL {
        workspace.kernelPackage.appendingPathComponent(".build/\(Self.triple)/release/ApusKernel")
    }

    /// Where the fingerprint of the last successful build is kept: beside the kernel.
    public var stamp: FingerprintStamp { FingerprintStamp(product: kernelImage) }

    /// What the kernel is built from: every file of the kernel package (ApusCore's through the
    /// package's link to Sources/ApusCore), the flags, and the Swift toolchain.
    public var inputs: BuildFingerprint {
        var fingerprint = BuildFingerprint()
        fingerprint.add("checkout", [workspace.root.standardizedFileURL.path])
        fingerprint.add("flags", Self.flags)
        fingerprint.addTool("swift", companions: ["swift-frontend", "swift-build"])
        fingerprint.addFiles(under: workspace.kernelPackage, relativeTo: workspace.root)
        return fingerprint
    }

    /// True when the kernel exists and was built from today's inputs: ``build(progress:)``
    /// would do nothing.
    public var isUpToDate: Bool { stamp.isCurrent(inputs) }

    /// Builds the kernel if anything is stale, reporting progress lines to `progress`, and
    /// returns the kernel image.
    public func build(progress: @escaping @Sendable (String) -> Void = { _ in }) throws -> URL {
        let fingerprint = inputs
        if stamp.isCurrent(fingerprint) { return kernelImage }
        stamp.forget()
        let collected = LineCollector(onLine: progress)
        // SwiftPM's cached build plan can miss a file added to ApusCore, which the kernel
        // package reaches through its link ("cannot find type … in scope"): it is planned
        // afresh, which costs about a second, only when the inputs changed anyway.
        let status = try runReadingOutput(URL(fileURLWithPath: "/usr/bin/env"), ["swift"] + arguments, onData: collected.append)
        collected.finish()
        guard status == 0 else {
            let errors = collected.lines.filter { $0.contains("error") }.prefix(20).joined(separator: "\n")
            throw ToolError("the kernel did not build (swift build exited with \(status)):\n\(errors.isEmpty ? collected.lines.suffix(20).joined(separator: "\n") : errors)")
        }
        try stamp.record(fingerprint)
        return kernelImage
    }
}
