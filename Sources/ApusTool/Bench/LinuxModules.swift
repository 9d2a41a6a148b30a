import Foundation

/// The kernel modules a Linux machine of `apus bench --linux` loads to reach its disk: the
/// virtio PCI transport, the virtio block driver, and ext4 with what it needs (its journal,
/// and a CRC32c the CPU model can run), each after the modules it depends on.
///
/// Distribution kernels build these as modules (Debian's do), and the machine boots with an
/// initramfs and nothing else, so the tool takes them from this host's
/// `/lib/modules/VERSION`, VERSION read from the kernel image itself, and the program run as
/// `/init` loads them (Userland/linux/machine.c). A kernel that builds them in needs none.
public struct LinuxModules: Sendable {
    /// The modules the disk needs, by name; their dependencies come with them.
    public static let wanted = ["virtio_pci", "virtio_blk", "crc32c_generic", "ext4"]
    /// Where the modules of every installed kernel are.
    public static let modulesRoot = URL(fileURLWithPath: "/lib/modules")

    /// The kernel's release, as `uname -r` says it.
    public var release: String
    /// The module files to load, in order.
    public var files: [URL]
    /// Wanted modules that are neither files here nor built into the kernel.
    public var missing: [String]

    /// The modules for the kernel image at `kernel`, from `root`.
    public static func find(for kernel: URL, in root: URL = modulesRoot) throws -> LinuxModules {
        let release = try self.release(of: kernel)
        let folder = root.appendingPathComponent(release)
        let dependencies = (try? String(contentsOf: folder.appendingPathComponent("modules.dep"), encoding: .utf8)).map(parse) ?? [:]
        let builtIn = Set(((try? String(contentsOf: folder.appendingPathComponent("modules.builtin"), encoding: .utf8)) ?? "")
            .split(separator: "\n").map { moduleName(String($0)) })
        var order: [String] = []
        var missing: [String] = []
        func add(_ path: String) {
            guard !order.contains(path) else { return }
            for dependency in dependencies[path] ?? [] { add(dependency) }
            order.append(path)
        }
        for name in wanted {
            if let path = dependencies.keys.first(where: { moduleName($0) == name }) { add(path) } else if !builtIn.contains(name) { missing.append(name) }
        }
        return LinuxModules(release: release, files: order.map { folder.appendingPathComponent($0) }, missing: missing)
    }

    /// The initramfs's `/modules` entries: each file under a name that sorts in load order.
    public func initramfsFiles() throws -> [(name: String, contents: Data)] {
        try files.enumerated().map { index, url in
            guard url.pathExtension == "ko" else {
                throw ToolError("\(url.path): a compressed module; the machine loads only plain .ko files (decompress the modules of \(release), or use a kernel that builds virtio_blk and ext4 in)")
            }
            return (String(format: "%02d-", index) + url.lastPathComponent, try Data(contentsOf: url))
        }
    }

    /// `modules.dep`: each module's path and the paths of the modules it depends on.
    static func parse(_ text: String) -> [String: [String]] {
        var dependencies: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard let module = parts.first else { continue }
            dependencies[String(module)] = parts.count > 1 ? parts[1].split(separator: " ").map(String.init) : []
        }
        return dependencies
    }

    /// `kernel/fs/ext4/ext4.ko` → `ext4`; dashes and underscores are one to the kernel.
    static func moduleName(_ path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        return String(file.prefix { $0 != "." }).replacingOccurrences(of: "-", with: "_")
    }

    /// The release a bzImage names in its header (the x86 boot protocol: `HdrS` at 0x202, and
    /// at 0x20E the offset, from 0x200, of a string that starts with the release).
    static func release(of kernel: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: kernel)
        defer { try? handle.close() }
        let header = [UInt8](try handle.read(upToCount: 0x10000) ?? Data())
        guard header.count > 0x210, Array(header[0x202..<0x206]) == Array("HdrS".utf8) else {
            throw ToolError("\(kernel.path) is not a Linux kernel image (no HdrS boot header)")
        }
        let start = 0x200 + Int(header[0x20E]) + Int(header[0x20F]) << 8
        guard start < header.count else { throw ToolError("\(kernel.path): the kernel's version string is past its header") }
        let release = header[start...].prefix { $0 != 0 && $0 != UInt8(ascii: " ") }
        return String(decoding: release, as: UTF8.self)
    }
}
