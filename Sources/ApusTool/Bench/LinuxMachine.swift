import Foundation

/// One boot of a Linux kernel in the QEMU machine Apus runs in, for `apus bench --linux`.
///
/// The same machine as ``Machine``: the same CPU model (``Machine/cpuModel``), the same
/// memory, the same accelerator; Linux gets an initramfs whose `/init` is the program, and its
/// console on the first serial port, read as it arrives. The kernel command line makes the
/// comparison a fair one:
/// * `transparent_hugepage=never`: Apus maps 4 KiB pages only; a Linux that faults in 2 MiB
///   pages measures another thing (Debian's kernels default to `always`);
/// * `sysctl.vm.max_map_count=262144`: Linux's default limit (65,530 mappings) is below the
///   benchmark's 100,000;
/// * `quiet`, and `panic=-1` with QEMU's `-no-reboot`: a Linux that panics ends the run.
/// The program powers the machine off when it ends (``Userland/linux/syscall.c``).
public struct LinuxMachine: Sendable {
    /// The Linux kernel image (a `vmlinuz`).
    public var kernel: URL
    public var memory = 512
    /// Software emulation unless set: KVM here is nested and has failed Linux guests.
    public var usesKVM = false
    public var timeout: TimeInterval = 600
    public var qemu: URL?
    /// A raw disk image the machine has as its virtio block device, as Apus's machine has one
    /// (``Machine/diskArguments(scratch:)``).
    public var disk: URL?
    /// Kernel modules for `/init` to load from `/modules` in name order (``LinuxModules``).
    public var modules: [(name: String, contents: Data)] = []
    /// Busybox for `/bin`: its bytes and its applets' names, installed as on Apus's disk
    /// (``ProgramRun/busyboxInstallation(of:besides:)``): `/bin/busybox` and a hard link to it
    /// per applet.
    public var busybox: (contents: Data, applets: [String])?

    public init(kernel: URL) { self.kernel = kernel }

    /// The kernel's command line; `initArguments` go to `/init` (after `--`).
    public static func commandLine(initArguments: [String]) -> String {
        (["console=ttyS0", "quiet", "panic=-1", "transparent_hugepage=never", "sysctl.vm.max_map_count=262144", "--"] + initArguments)
            .joined(separator: " ")
    }

    /// The initramfs: `/dev/console` (Linux opens it for `/init`'s standard streams), the
    /// program as `/init`, the folders `/init` mounts things on (`/proc`, `/mnt`), the
    /// modules in `/modules`, and busybox in `/bin`.
    public static func initramfs(program: Data, modules: [(name: String, contents: Data)] = [],
                                 busybox: (contents: Data, applets: [String])? = nil) throws -> Data {
        var entries: [CPIOArchive.Entry] = [
            .init(name: "dev", kind: .directory, permissions: 0o755),
            // The system console: character device 5, 1 (Documentation/admin-guide/devices.txt).
            .init(name: "dev/console", kind: .characterDevice(major: 5, minor: 1), permissions: 0o600),
            .init(name: "init", kind: .file(program), permissions: 0o755),
            .init(name: "proc", kind: .directory, permissions: 0o755),
            .init(name: "mnt", kind: .directory, permissions: 0o755),
            .init(name: "modules", kind: .directory, permissions: 0o755),
        ] + modules.map { .init(name: "modules/\($0.name)", kind: .file($0.contents), permissions: 0o644) }
        if let busybox {
            let installed = "bin/busybox"
            entries += [.init(name: "bin", kind: .directory, permissions: 0o755), .init(name: installed, kind: .file(busybox.contents), permissions: 0o755)]
            entries += busybox.applets.filter { "bin/\($0)" != installed }.map { .init(name: "bin/\($0)", kind: .hardLink(to: installed), permissions: 0o755) }
        }
        return try CPIOArchive(entries: entries).bytes()
    }

    /// How a boot ended.
    public struct Outcome: Sendable {
        /// Everything on the console.
        public var console: String
        /// Why the run failed, in one line; `nil` when QEMU ended by itself.
        public var problem: String?
    }

    /// Boots Linux with `program` as `/init`, passes each console line to `onLine` as it
    /// arrives, and waits for the machine to power off.
    public func run(program: Data, initArguments: [String], onLine: @escaping @Sendable (String) -> Void,
                    report: (String) -> Void = { _ in }) throws -> Outcome {
        let qemu = try self.qemu ?? QEMU.locate(report: report)
        let scratch = try ScratchFolder(in: nil)
        defer { scratch.remove() }
        try scratch.link("vmlinuz", to: kernel)
        try Self.initramfs(program: program, modules: modules, busybox: busybox).write(to: scratch.url.appendingPathComponent("initramfs"))
        if let disk { try scratch.link("disk", to: disk) }
        let console = try StreamingFIFO(path: scratch.path("console"))
        let lines = LineCollector(onLine: onLine)
        console.start(onData: lines.append)
        var arguments = [
            "-kernel", "vmlinuz", "-initrd", "initramfs",
            "-append", Self.commandLine(initArguments: initArguments),
            "-m", "\(memory)M", "-cpu", Machine.cpuModel,
            "-display", "none", "-no-reboot", "-nodefaults",
            "-chardev", "file,id=console,path=console", "-serial", "chardev:console",
        ]
        if disk != nil { arguments += Machine.diskArguments() }
        if usesKVM { arguments.append("-enable-kvm") }
        let run = try WatchedProcess(executable: qemu, arguments: arguments, directory: scratch.url, leftovers: [scratch.url.path])
        let finished = run.wait(timeout: timeout)
        if !finished { run.stop() }
        let status = run.terminationStatus
        console.finish()
        lines.finish()
        var outcome = Outcome(console: lines.lines.joined(separator: "\n"), problem: nil)
        if !finished {
            outcome.problem = "Linux did not power off within \(Int(timeout)) seconds; QEMU was stopped"
        } else if status != 0 {
            let messages = run.errorText.split(separator: "\n").filter { !$0.contains("warning:") }.joined(separator: "; ")
            outcome.problem = "QEMU exited with \(status) running Linux\(messages.isEmpty ? "" : ": \(messages)")"
        }
        return outcome
    }
}
