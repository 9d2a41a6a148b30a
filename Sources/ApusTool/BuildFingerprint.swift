import Foundation

/// Knowing that a build has nothing to do without asking the build system.
///
/// Asking `swift build` whether the kernel is up to date costs about 0.6 s on a small
/// machine, most of a warm `apus run`. A fingerprint answers the same question in a
/// millisecond: it lists every input of a build (each file's path, size and modification
/// time, the build flags, the compiler's identity) as text, one line per input. The
/// fingerprint of the last successful build is kept beside its product (a
/// ``FingerprintStamp``); when today's fingerprint is the same and the product is still the
/// one that build made, the product is current and nothing runs.
///
/// What it can miss: a file rewritten with the same size and its old modification time
/// restored (`touch -d`); the inode's change time, which no one can set, is in the
/// fingerprint too, so even that is caught. What it may do too often: rebuild after a
/// file was only touched, which costs one build that has nothing to do.
public struct BuildFingerprint: Equatable, Sendable, CustomStringConvertible {
    /// One line per input, in the order they were added.
    public private(set) var lines: [String] = []

    public init() {}

    /// The fingerprint recorded in a stamp's text.
    public init(text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
    }

    public var description: String { lines.map { $0 + "\n" }.joined() }

    /// Adds a line of settings (a name and its words), e.g. the build flags.
    public mutating func add(_ name: String, _ words: [String]) {
        lines.append(([name] + words).map(Self.quoted).joined(separator: " "))
    }

    /// Adds one file, named `name` in the fingerprint: its size, modification and change
    /// times, or that it is missing.
    public mutating func addFile(_ file: URL, as name: String) {
        lines.append("file \(Self.quoted(name)) \(Self.identity(of: file.path) ?? "missing")")
    }

    /// Adds every file under `folder` (its subfolders included, hidden files and folders
    /// such as `.build` left out, and any whose name is in `excluding`), named by their path
    /// relative to `root`, in a fixed order.
    public mutating func addFiles(under folder: URL, relativeTo root: URL, excluding: Set<String> = []) {
        let rootPath = root.standardizedFileURL.path
        let prefix = rootPath.hasSuffix("/") ? rootPath : rootPath + "/"
        func walk(_ path: String) {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
            for name in names where !name.hasPrefix(".") && !excluding.contains(name) {
                let child = path + "/" + name
                var information = stat()
                guard stat(child, &information) == 0 else { continue }
                if information.st_mode & S_IFMT == S_IFDIR {
                    lines.append("folder \(Self.quoted(relative(child)))")
                    walk(child)
                } else {
                    lines.append("file \(Self.quoted(relative(child))) \(Self.identity(of: information))")
                }
            }
        }
        func relative(_ path: String) -> String { path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path }
        let start = folder.standardizedFileURL.path
        lines.append("folder \(Self.quoted(relative(start)))\(FileManager.default.fileExists(atPath: start) ? "" : " missing")")
        walk(start)
    }

    /// Adds the compiler `tool` (e.g. `swift`, `clang`) as found on `PATH`: the file it
    /// resolves to and its identity, and those of `companions` beside it (`swift-frontend`),
    /// so that another toolchain, or an update of this one, is another fingerprint. Cheaper
    /// than `swift --version` (0.25 s).
    public mutating func addTool(_ tool: String, companions: [String] = [],
                                 searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") {
        guard let found = Self.find(tool, in: searchPath) else {
            lines.append("tool \(Self.quoted(tool)) missing")
            return
        }
        let resolved = found.resolvingSymlinksInPath()
        addFile(resolved, as: "tool \(tool) \(resolved.path)")
        for companion in companions {
            let beside = resolved.deletingLastPathComponent().appendingPathComponent(companion)
            addFile(beside, as: "tool \(companion) \(beside.path)")
        }
    }

    /// The first executable `tool` in the folders of `searchPath`.
    static func find(_ tool: String, in searchPath: String) -> URL? {
        for folder in searchPath.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(tool)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// A file's size, modification time and change time (to the nanosecond), or `nil` when
    /// it does not exist.
    static func identity(of path: String) -> String? {
        var information = stat()
        guard stat(path, &information) == 0 else { return nil }
        return identity(of: information)
    }

    static func identity(of information: stat) -> String {
        "size \(information.st_size) modified \(information.st_mtim.tv_sec).\(information.st_mtim.tv_nsec)"
            + " changed \(information.st_ctim.tv_sec).\(information.st_ctim.tv_nsec)"
    }

    /// A word as it appears in a line: as is when it holds no space, newline or quote,
    /// quoted and escaped otherwise (so that no name can look like two, or like a line).
    static func quoted(_ word: String) -> String {
        guard word.contains(where: { $0 == " " || $0 == "\n" || $0 == "\"" || $0 == "\\" }) || word.isEmpty else { return word }
        return "\"" + word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}

/// The fingerprint of a product's last successful build, kept in a file beside it.
///
/// The stamp also records the product's own size and times as that build left them, so a
/// product that another build replaced since (the same package built with other flags) or
/// that is gone counts as stale.
public struct FingerprintStamp: Sendable {
    /// What the build makes.
    public let product: URL
    /// Where the fingerprint is kept.
    public let stamp: URL

    public init(product: URL, stamp: URL) {
        self.product = product
        self.stamp = stamp
    }

    /// The stamp of `product`: a file `NAME.fingerprint` beside it.
    public init(product: URL) {
        self.init(product: product, stamp: product.deletingLastPathComponent().appendingPathComponent(product.lastPathComponent + ".fingerprint"))
    }

    /// True when the product exists and was built from inputs with this very fingerprint.
    public func isCurrent(_ fingerprint: BuildFingerprint) -> Bool {
        guard let product = BuildFingerprint.identity(of: product.path),
              let recorded = try? String(contentsOf: stamp, encoding: .utf8) else { return false }
        return recorded == Self.text(fingerprint, product: product)
    }

    /// Records that the product was just built from inputs with `fingerprint` (call only
    /// after a build that succeeded, with the fingerprint taken before it started: a file
    /// changed during the build then makes the next fingerprint differ).
    public func record(_ fingerprint: BuildFingerprint) throws {
        guard let product = BuildFingerprint.identity(of: product.path) else {
            throw ToolError("the build made no \(self.product.path)")
        }
        try FileManager.default.createDirectory(at: stamp.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Self.text(fingerprint, product: product).write(to: stamp, atomically: true, encoding: .utf8)
    }

    /// Forgets the last build (before a build starts: a build that fails leaves no stamp).
    public func forget() {
        try? FileManager.default.removeItem(at: stamp)
    }

    /// Removes an out-of-date product and its stamp (call once ``isCurrent(_:)`` said false),
    /// so that nothing takes the product for current. A product without a stamp is left
    /// alone: a build may be writing it at this moment.
    public func discardOutOfDateProduct() {
        guard FileManager.default.fileExists(atPath: stamp.path) else { return }
        try? FileManager.default.removeItem(at: product)
        forget()
    }

    private static func text(_ fingerprint: BuildFingerprint, product: String) -> String {
        fingerprint.description + "product \(product)\n"
    }
}
