import Foundation

/// Finding QEMU, and installing it when it is missing and we may.
public enum QEMU {
    public static let executable = "qemu-system-x86_64"

    /// The path of `qemu-system-x86_64`, installing it first (with apt, as root) when it is
    /// missing; otherwise a message that says how to get it.
    public static func locate(report: (String) -> Void = { _ in }) throws -> URL {
        if let found = find() { return found }
        var attempt = "apus installs it itself when it runs as root on a system with apt-get."
        if getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/apt-get") {
            report("QEMU is missing; installing qemu-system-x86 with apt-get…")
            _ = try run("/usr/bin/apt-get", ["update", "-qq"])
            let status = try run("/usr/bin/apt-get", ["install", "-y", "-qq", "qemu-system-x86"])
            if status == 0, let found = find() { return found }
            attempt = "apus tried `apt-get install qemu-system-x86`, which failed (exit status \(status)): check the network and apt's sources."
        }
        throw ToolError(missingMessage(attempt: attempt))
    }

    /// What to do when QEMU is missing: how to install it, and where `apus` looks for it.
    static func missingMessage(attempt: String) -> String {
        """
        QEMU (\(executable)) is not installed. Install it and try again:
          Debian/Ubuntu: sudo apt-get install qemu-system-x86
          Fedora:        sudo dnf install qemu-system-x86
          macOS:         brew install qemu
        \(attempt)
        apus looks for \(executable) on PATH and in \(fallbackFolders.joined(separator: ", ")); \
        if yours is elsewhere, add its folder to PATH.
        """
    }

    static let fallbackFolders = ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"]

    static func find() -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + fallbackFolders {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(executable)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    private static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["DEBIAN_FRONTEND": "noninteractive"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// qboot, the minimal firmware QEMU ships (Debian: qemu-system-data), beside `qemu`'s own
    /// data, or `nil` when it is not there and QEMU's default firmware (SeaBIOS) boots.
    /// Under software emulation qboot boots Apus in 0.10 s of CPU where SeaBIOS takes
    /// 0.17 s; it gives PCI functions no I/O ports, which the kernel then chooses itself.
    public static func minimalFirmware(beside qemu: URL) -> String? {
        let installation = qemu.resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
        let candidate = installation.appendingPathComponent("share/qemu/qboot.rom").path
        return FileManager.default.isReadableFile(atPath: candidate) ? candidate : nil
    }

    /// True when this machine lets QEMU use KVM.
    public static var kvmWorks: Bool {
        let descriptor = open("/dev/kvm", O_RDWR)
        guard descriptor >= 0 else { return false }
        close(descriptor)
        return true
    }

    /// True when this machine is itself a virtual machine (the CPU's hypervisor flag), where
    /// KVM is nested: there it often runs a kernel this small slower than software emulation
    /// does (measured: about 40 s against under 1 s for a boot with 512 MiB).
    public static var hostIsVirtual: Bool {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        return cpuinfo.split(separator: "\n").contains { $0.hasPrefix("flags") && $0.split(separator: " ").contains("hypervisor") }
    }
}
