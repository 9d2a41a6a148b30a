import Foundation

/// Building the kernel: `swift build` on the `Kernel` package for bare-metal x86-64, with the
/// flags that make ApusCore and the kernel Embedded Swift (DESIGN.md, "Facts that shape the
/// layout"). SwiftPM rebuilds only what changed, so calling this when nothing is stale costs
/// a second or two.
public struct KernelBuild: Sendable {
    public let workspace: Workspace

    public init(workspace: Workspace = .current) { self.workspace = workspace }

    public static let triple = "x86_64-unknown-none-elf"

    /// The flags for every target of the kernel build, ApusCore included.
    public static let flags: [String] = [
        "--triple", triple, "-c", "release",
        "-Xswiftc", "-enable-experimental-feature", "-Xswiftc", "Embedded", "-Xswiftc", "-wmo",
        "-Xswiftc", "-Xfrontend", "-Xswiftc", "-disable-stack-protector",
        // Exclusive access is checked statically; the host's debug builds check it at run time.
        "-Xswiftc", "-enforce-exclusivity=unchecked",
        // The kernel's code and data live in the lower-half kernel window (docs/memory-layout.md).
        "-Xcc", "-mcmodel=large", "-Xcc", "-mno-red-zone", "-Xcc", "-fno-pic",
        "-Xcc", "-mno-sse", "-Xcc", "-mno-sse2", "-Xcc", "-mno-mmx",
        "-Xcc", "-ffreestanding", "-Xcc", "-fno-omit-frame-pointer",
    ]

    /// The kernel ELF file a build produces.
    public var kernelImage: URL {
        workspace.kernelPackage.appendingPathComponent(".build/\(Self.triple)/release/ApusKernel")
    }

    /// Builds the kernel if anything is stale, reporting progress lines to `progress`, and
    /// returns the kernel image.
    public func build(progress: @escaping @Sendable (String) -> Void = { _ in }) throws -> URL {
        let collected = LineCollector(onLine: progress)
        let status = try runReadingOutput(URL(fileURLWithPath: "/usr/bin/env"),
                                          ["swift", "build", "--package-path", workspace.kernelPackage.path] + Self.flags,
                                          onData: collected.append)
        collected.finish()
        guard status == 0 else {
            let errors = collected.lines.filter { $0.contains("error") }.prefix(20).joined(separator: "\n")
            throw ToolError("the kernel did not build (swift build exited with \(status)):\n\(errors.isEmpty ? collected.lines.suffix(20).joined(separator: "\n") : errors)")
        }
        return kernelImage
    }
}
