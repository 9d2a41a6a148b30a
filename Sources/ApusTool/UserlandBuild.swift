import Foundation

/// Building the programs Apus ships (`Userland/programs/*.c`) against its small C library
/// (`Userland/lib`, `Userland/include`), with the toolchain's clang, as static ELF programs
/// linked at 0x401000 (`Userland/user.ld`).
///
/// The library is compiled once into objects (`Userland/.build/lib`) that every program links
/// with. A product (an object or a program) is rebuilt when the fingerprint of its inputs
/// (its source, the library, the headers, the linker script, the flags and clang itself)
/// differs from the one its last build left in `Userland/.build/stamps`. Stale products are
/// compiled side by side, one per core.
///
/// A build compiles every program (``ProgramSelection/all``: what the tests boot) or only the
/// ones a run needs (``ProgramSelection/only(_:)``); then the folder of programs holds those
/// and every other program that is already built and current, and never an out-of-date
/// program: the binary of a program whose source changed since its build is removed until a
/// build needs it again.
public struct UserlandBuild: Sendable {
    public let workspace: Workspace

    public init(workspace: Workspace = .current) { self.workspace = workspace }

    /// Which programs a build compiles.
    public enum ProgramSelection: Sendable, Equatable {
        /// Every program of `Userland/programs`.
        case all
        /// These programs (names without `.c`); a name that is not a program is left out.
        case only([String])
    }

    var userland: URL { workspace.root.appendingPathComponent("Userland") }
    /// Where the built programs go.
    public var binaries: URL { userland.appendingPathComponent(".build/bin") }
    /// Where the library's objects go.
    var libraryObjects: URL { userland.appendingPathComponent(".build/lib") }
    /// Where each product's ``FingerprintStamp`` is kept (not beside the programs: every file
    /// there joins the root file system).
    var stamps: URL { userland.appendingPathComponent(".build/stamps") }
    /// Data files the root file system always holds.
    public var dataFiles: URL { userland.appendingPathComponent("data") }

    /// How each source is compiled: for bare-metal x86-64, no C library or built-ins assumed,
    /// every warning on, each function and datum in a section of its own so that the link
    /// keeps only what the program uses.
    public static let compileFlags = [
        "--target=x86_64-unknown-none-elf", "-ffreestanding", "-fno-pic", "-fno-stack-protector",
        "-fno-builtin", "-O2", "-Wall", "-ffunction-sections", "-fdata-sections",
    ]

    /// How a program is linked: statically, with no C library but Apus's, by lld, dropping
    /// the library's functions and data the program never reaches (a program's memory map
    /// shows only its own segments).
    public static let linkFlags = ["-nostdlib", "-static", "-fuse-ld=lld", "-Wl,--gc-sections"]

    /// The names of the programs Apus ships, built or not: one per `Userland/programs/NAME.c`,
    /// in order.
    public func programNames() throws -> [String] {
        try contents(of: "programs").filter { $0.pathExtension == "c" }.map { $0.deletingPathExtension().lastPathComponent }
    }

    /// The shipped programs a run of `program` with `arguments` needs built: the program
    /// itself, and every shipped program that an argument names (a file the program is told
    /// about, as in `cat hello`). Names are compared as exact bytes.
    public func programsNeeded(program: [UInt8], arguments: [[UInt8]]) throws -> [String] {
        let words = Set([program] + arguments)
        return try programNames().filter { words.contains(Array($0.utf8)) }
    }

    /// Builds the programs of `selection` that are stale (with the library they link with),
    /// and returns the folder that holds the built programs. `progress` gets a line for each
    /// file about to be compiled, then what the compiler said about them (their warnings).
    public func build(_ selection: ProgramSelection = .all, progress: (String) -> Void = { _ in }) throws -> URL {
        let files = FileManager.default
        try files.createDirectory(at: binaries, withIntermediateDirectories: true)
        try files.createDirectory(at: libraryObjects, withIntermediateDirectories: true)
        let shared = try sharedFingerprint()
        let sources = try contents(of: "programs").filter { $0.pathExtension == "c" }
        let wanted: [URL]
        switch selection {
        case .all: wanted = sources
        case .only(let names): wanted = sources.filter { names.contains($0.deletingPathExtension().lastPathComponent) }
        }
        var stalePrograms: [(source: URL, stamp: FingerprintStamp, fingerprint: BuildFingerprint)] = []
        for source in sources {
            let name = source.deletingPathExtension().lastPathComponent
            var fingerprint = shared
            fingerprint.addFile(source, as: "programs/\(source.lastPathComponent)")
            let stamp = FingerprintStamp(product: binaries.appendingPathComponent(name), stamp: stamps.appendingPathComponent(name + ".fingerprint"))
            if stamp.isCurrent(fingerprint) { continue }
            if wanted.contains(source) {
                stalePrograms.append((source, stamp, fingerprint))
            } else {
                stamp.discardOutOfDateProduct()
            }
        }
        guard !stalePrograms.isEmpty else { return binaries }
        let library = try buildLibrary(shared, progress: progress)
        let script = userland.appendingPathComponent("user.ld")
        for program in stalePrograms { progress("compiling \(program.source.lastPathComponent)") }
        let warnings = try Self.inParallel(stalePrograms) { program in
            program.stamp.forget()
            let arguments = Self.compileFlags + Self.linkFlags + [
                "-I", userland.appendingPathComponent("include").path,
                // -Xlinker, not -Wl: a comma in the checkout's path must not split the argument.
                "-Xlinker", "-T", "-Xlinker", script.path, "-Wl,--build-id=none",
                "-o", program.stamp.product.path,
            ] + library.map(\.path) + [program.source.path]
            let (status, messages) = try run("clang", arguments)
            guard status == 0 else {
                throw ToolError("\(program.source.lastPathComponent) did not compile:\n\(messages)")
            }
            try program.stamp.record(program.fingerprint)
            return messages
        }
        for messages in warnings where !messages.isEmpty { progress(messages) }
        return binaries
    }

    /// What every product of the build depends on: the checkout, the flags, clang, the
    /// library's sources and headers (whole folders: a header added or removed counts) and the
    /// linker script.
    func sharedFingerprint() throws -> BuildFingerprint {
        var shared = libraryFingerprint(flags: Self.compileFlags + Self.linkFlags, folders: ["lib", "include"])
        shared.addFile(userland.appendingPathComponent("user.ld"), as: "user.ld")
        return shared
    }

    /// What a library's objects depend on: the checkout, `flags`, clang and every file of
    /// `folders` (of `Userland`).
    private func libraryFingerprint(flags: [String], folders: [String]) -> BuildFingerprint {
        var fingerprint = BuildFingerprint()
        fingerprint.add("checkout", [workspace.root.standardizedFileURL.path])
        fingerprint.add("flags", flags)
        fingerprint.addTool("clang")
        for folder in folders {
            fingerprint.addFiles(under: userland.appendingPathComponent(folder), relativeTo: userland)
        }
        return fingerprint
    }

    /// Compiles each stale source of `Userland/lib` into an object of its own and returns
    /// every object, in the sources' order (the order programs link them in).
    func buildLibrary(_ shared: BuildFingerprint, progress: (String) -> Void) throws -> [URL] {
        let sources = try contents(of: "lib").filter { ["c", "S"].contains($0.pathExtension) }
        let objects = sources.map { (source: $0, object: FingerprintStamp(product: libraryObjects.appendingPathComponent($0.lastPathComponent + ".o"),
                                                                          stamp: stamps.appendingPathComponent("lib/\($0.lastPathComponent).o.fingerprint"))) }
        return try compileObjects(objects, flags: Self.compileFlags + ["-I", userland.appendingPathComponent("include").path],
                                  fingerprint: shared, progress: progress)
    }

    /// Compiles each source of `objects` whose object is stale (its stamp does not hold
    /// `fingerprint`) with `flags`, as many at once as this machine has cores, and returns
    /// every object, in order. `progress` gets a line for each source about to be compiled
    /// (`compiling lib/NAME`), then what the compiler said about them (their warnings).
    private func compileObjects(_ objects: [(source: URL, object: FingerprintStamp)], flags: [String],
                                fingerprint: BuildFingerprint, progress: (String) -> Void) throws -> [URL] {
        @Sendable func name(_ source: URL) -> String { source.deletingLastPathComponent().lastPathComponent + "/" + source.lastPathComponent }
        let stale = objects.filter { !$0.object.isCurrent(fingerprint) }
        for (source, _) in stale { progress("compiling \(name(source))") }
        let warnings = try Self.inParallel(stale) { source, object in
            object.forget()
            let (status, messages) = try run("clang", flags + ["-c", "-o", object.product.path, source.path])
            guard status == 0 else { throw ToolError("\(name(source)) did not compile:\n\(messages)") }
            try object.record(fingerprint)
            return messages
        }
        for messages in warnings where !messages.isEmpty { progress(messages) }
        return objects.map(\.object.product)
    }

    /// Runs `body` for every item, as many at once as this machine has cores, and returns what
    /// each returned, in the items' order; throws the first item's error (in that order) once
    /// all have finished.
    static func inParallel<Item: Sendable, Output: Sendable>(_ items: [Item], _ body: @Sendable (Item) throws -> Output) throws -> [Output] {
        let outcomes = LockedList<(index: Int, outcome: Result<Output, any Error>)>()
        DispatchQueue.concurrentPerform(iterations: items.count) { index in
            outcomes.append((index, Result { try body(items[index]) }))
        }
        return try outcomes.items.sorted { $0.index < $1.index }.map { try $0.outcome.get() }
    }

    /// The flags of a program built for Linux: the same compiler, optimization and linking as
    /// Apus's programs, Linux's target, no C library (``linuxLibrary`` stands in for one).
    public static let linuxCompilerFlags = linuxCompileFlags + linkFlags

    /// The compile half of ``linuxCompilerFlags``: Linux's target, the rest as Apus's programs.
    static let linuxCompileFlags = ["--target=x86_64-unknown-linux-gnu"] + compileFlags.dropFirst()

    /// The headers of a program built for Linux: `Userland/linux/include` first, then
    /// `Userland/include`.
    var linuxHeaders: [String] {
        ["-I", userland.appendingPathComponent("linux/include").path, "-I", userland.appendingPathComponent("include").path]
    }

    /// What a KeOS program is linked with on Linux: Linux's entry, the KeOS calls over Linux's,
    /// what a program run as `/init` needs to reach the machine's disk, and `execve` and
    /// `wait4` (`Userland/linux`), and the portable parts of Apus's library.
    var linuxLibrary: [URL] {
        [userland.appendingPathComponent("linux/crt0.S"), userland.appendingPathComponent("linux/syscall.c"),
         userland.appendingPathComponent("linux/machine.c"), userland.appendingPathComponent("linux/process.c"),
         userland.appendingPathComponent("lib/syscall6.c"), userland.appendingPathComponent("lib/stdio.c"),
         userland.appendingPathComponent("lib/string.c")]
    }

    /// Builds `Userland/programs/NAME.c` as a static Linux program (for `apus bench --linux`)
    /// and returns its bytes. Headers come from `Userland/linux/include` first, then
    /// `Userland/include`; the program is compiled every time (one compiler run), the
    /// library's objects only when they are stale (``linuxLibraryObjects()``).
    public func buildForLinux(program name: String) throws -> Data {
        let folder = userland.appendingPathComponent(".build/linux")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let output = folder.appendingPathComponent(name)
        let arguments = Self.linuxCompilerFlags + linuxHeaders + ["-Wl,--build-id=none", "-o", output.path]
            + (try linuxLibraryObjects()).map(\.path) + [userland.appendingPathComponent("programs/\(name).c").path]
        let (status, messages) = try run("clang", arguments)
        guard status == 0 else { throw ToolError("\(name).c did not compile for Linux:\n\(messages)") }
        return try Data(contentsOf: output)
    }

    /// The objects of ``linuxLibrary``, in its order, each compiled again only when it is
    /// stale: when a source or header of `Userland/linux`, `lib` or `include`, the flags or
    /// clang changed.
    func linuxLibraryObjects() throws -> [URL] {
        let objects = linuxLibrary.map { source in
            // linux/syscall.c and lib/syscall6.c: the folder is part of the name.
            let name = source.deletingLastPathComponent().lastPathComponent + "-" + source.lastPathComponent + ".o"
            return (source: source, object: FingerprintStamp(product: userland.appendingPathComponent(".build/linux/lib/\(name)"),
                                                             stamp: stamps.appendingPathComponent("linux/\(name).fingerprint")))
        }
        try FileManager.default.createDirectory(at: userland.appendingPathComponent(".build/linux/lib"), withIntermediateDirectories: true)
        return try compileObjects(objects, flags: Self.linuxCompileFlags + linuxHeaders,
                                  fingerprint: libraryFingerprint(flags: Self.linuxCompileFlags, folders: ["linux", "lib", "include"]),
                                  progress: { _ in })
    }

    private func contents(of folder: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: userland.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> (Int32, String) {
        let output = LockedData()
        let status = try runReadingOutput(URL(fileURLWithPath: "/usr/bin/env"), [tool] + arguments, onData: output.append)
        return (status, String(decoding: output.data, as: UTF8.self))
    }
}
