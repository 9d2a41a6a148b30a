@testable import ApusTool
import Foundation
import Testing

/// Deciding that a build is stale from the fingerprint of its inputs, without running it.
@Suite("Build fingerprints")
struct BuildFingerprintTests {
    /// A small source tree: `Sources/a.swift`, `Sources/Sub/b.swift`, and a `.build` folder
    /// of products that is not an input.
    static func tree() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        let sources = folder.url.appendingPathComponent("Sources")
        try FileManager.default.createDirectory(at: sources.appendingPathComponent("Sub"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: sources.appendingPathComponent(".build"), withIntermediateDirectories: true)
        try "let a = 1\n".write(to: sources.appendingPathComponent("a.swift"), atomically: false, encoding: .utf8)
        try "let b = 2\n".write(to: sources.appendingPathComponent("Sub/b.swift"), atomically: false, encoding: .utf8)
        try "product".write(to: sources.appendingPathComponent(".build/out"), atomically: false, encoding: .utf8)
        return folder
    }

    static func fingerprint(_ folder: TemporaryFolder, flags: [String] = ["-O"]) -> BuildFingerprint {
        var fingerprint = BuildFingerprint()
        fingerprint.add("flags", flags)
        fingerprint.addFiles(under: folder.url.appendingPathComponent("Sources"), relativeTo: folder.url)
        return fingerprint
    }

    static func setModificationTime(_ url: URL, seconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, url.path, &times, 0)
    }

    @Test func theSameInputsGiveTheSameFingerprint() throws {
        let folder = try Self.tree()
        let first = Self.fingerprint(folder)
        expectEqual(first, Self.fingerprint(folder))
        #expect(first.lines.contains { $0.hasPrefix("file Sources/Sub/b.swift size 10 ") })
        #expect(!first.description.contains(".build"), "products are not inputs")
        expectEqual(BuildFingerprint(text: first.description), first, "a stamp's text reads back as the same fingerprint")
    }

    @Test func aFileThatChangesInSizeTimeOrNameOrAppearsOrGoesChangesTheFingerprint() throws {
        let folder = try Self.tree()
        let a = folder.url.appendingPathComponent("Sources/a.swift")
        var last = Self.fingerprint(folder)
        func expectChanged(_ what: Comment) {
            let now = Self.fingerprint(folder)
            #expect(now != last, what)
            last = now
        }
        try "let a = 10\n".write(to: a, atomically: false, encoding: .utf8)
        expectChanged("a file that grew")
        Self.setModificationTime(a, seconds: 1_000_000)
        expectChanged("a file touched back to an old time, same size")
        try FileManager.default.moveItem(at: a, to: folder.url.appendingPathComponent("Sources/c.swift"))
        expectChanged("a file renamed")
        try "".write(to: folder.url.appendingPathComponent("Sources/Sub/new.h"), atomically: false, encoding: .utf8)
        expectChanged("a file added")
        try FileManager.default.removeItem(at: folder.url.appendingPathComponent("Sources/Sub/new.h"))
        expectChanged("a file removed")
        try "x".write(to: folder.url.appendingPathComponent("Sources/.build/out"), atomically: false, encoding: .utf8)
        expectEqual(Self.fingerprint(folder), last, "a product changing is no input changing")
    }

    @Test func otherFlagsOrAnotherCompilerAreAnotherFingerprint() throws {
        let folder = try Self.tree()
        #expect(Self.fingerprint(folder, flags: ["-O"]) != Self.fingerprint(folder, flags: ["-Onone"]))
        #expect(Self.fingerprint(folder, flags: ["-a b"]) != Self.fingerprint(folder, flags: ["-a", "b"]), "words stay words")

        let tools = try TemporaryFolder()
        let compiler = tools.url.appendingPathComponent("cc")
        try "#!/bin/sh\n".write(to: compiler, atomically: false, encoding: .utf8)
        chmod(compiler.path, 0o755)
        func withTool() -> BuildFingerprint {
            var fingerprint = Self.fingerprint(folder)
            fingerprint.addTool("cc", searchPath: tools.url.path)
            return fingerprint
        }
        let before = withTool()
        expectEqual(before, withTool())
        try "#!/bin/sh\n# version 2\n".write(to: compiler, atomically: false, encoding: .utf8)
        #expect(before != withTool(), "an updated compiler")
    }

    @Test func aProductIsCurrentOnlyWhenItExistsAndWasBuiltFromTheseInputs() throws {
        let folder = try Self.tree()
        let product = folder.url.appendingPathComponent("product")
        let stamp = FingerprintStamp(product: product)
        let fingerprint = Self.fingerprint(folder)
        #expect(!stamp.isCurrent(fingerprint), "never built")
        #expect(throws: ToolError.self) { try stamp.record(fingerprint) }

        try "built".write(to: product, atomically: false, encoding: .utf8)
        #expect(!stamp.isCurrent(fingerprint), "built, but by someone else: no stamp")
        try stamp.record(fingerprint)
        expectEqual(stamp.stamp.lastPathComponent, "product.fingerprint")
        #expect(stamp.isCurrent(fingerprint))
        #expect(!stamp.isCurrent(Self.fingerprint(folder, flags: ["-Onone"])), "other flags")

        try "built again, differently".write(to: product, atomically: false, encoding: .utf8)
        #expect(!stamp.isCurrent(fingerprint), "a product another build replaced")
        try stamp.record(fingerprint)
        try FileManager.default.removeItem(at: product)
        #expect(!stamp.isCurrent(fingerprint), "a missing product is stale")
    }

    /// CI starts the kernel's build before the tool exists; `apus build` then finds nothing
    /// to do only when the arguments are the same.
    @Test func ciBuildsTheKernelWithTheToolsArguments() throws {
        let script = try String(contentsOf: Workspace.current.root.appendingPathComponent(".ci/run"), encoding: .utf8)
        let build = KernelBuild(workspace: Workspace(root: URL(fileURLWithPath: "/checkout")))
        let line = (["swift"] + build.arguments).joined(separator: " ").replacingOccurrences(of: "/checkout/Kernel", with: "\"$PWD/Kernel\"")
        #expect(script.contains(line + " "), "\(line)")
    }

    @Test func theKernelsFingerprintCoversItsPackageApusCoreAndTheFlags() {
        let lines = KernelBuild().inputs.lines
        #expect(lines.contains { $0.hasPrefix("file Kernel/Package.swift ") })
        #expect(lines.contains { $0.hasPrefix("file Kernel/Sources/ApusKernel/arch/x86_64/support/linker.ld ") }, "SwiftPM does not relink for it; the fingerprint does")
        #expect(lines.contains { $0.hasPrefix("file Kernel/Sources/ApusKernel/ApusCore/Paging/PageTable.swift ") }, "ApusCore, through the package's link")
        #expect(lines.contains { $0.hasPrefix("flags ") && $0.contains(KernelBuild.triple) })
        #expect(lines.contains { $0.hasPrefix("file \"tool swift ") })
        #expect(!lines.contains { $0.contains(".build") || $0.contains("Sources/ApusTool") })
    }
}
