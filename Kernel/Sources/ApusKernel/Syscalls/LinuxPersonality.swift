import X86_64Support

/// What the kernel gives Linux programs beside their system call table (ApusCore's
/// ``LinuxSyscalls``): the run's settings (the personality of programs whose header does
/// not say, `abi=`; the environment, the `envp` boot module; the host's time at boot,
/// `epoch=`), the clocks and random bytes of ``LinuxMachine``, and each thread's FS base.
enum LinuxPersonality {
    /// The personality of programs whose header names none (`abi=linux|keos`).
    nonisolated(unsafe) static var unmarked = Personality.keos
    /// The environment strings Linux programs start with.
    nonisolated(unsafe) static var environment: [[UInt8]] = []
    /// Seconds since 1970 when the machine booted, as the host said.
    nonisolated(unsafe) static var bootEpochSeconds: UInt64 = 0
    private nonisolated(unsafe) static var bootTicks: UInt64 = 0

    /// The FS base MSR (Intel SDM Vol. 4, table 2-2).
    static let fsBaseMSR: UInt32 = 0xC000_0100

    /// Reads the run's settings from the boot command line and modules.
    static func configure(_ boot: Multiboot) {
        unmarked = boot.option("abi").flatMap { Personality(name: $0) } ?? .keos
        if let module = boot.module(named: "envp") {
            environment = UnsafeRawBufferPointer(module).split(separator: 0).map { Array($0) }
        }
        if let epoch = boot.option("epoch") {
            bootEpochSeconds = epoch.reduce(0) { $1 >= 48 && $1 <= 57 ? $0 &* 10 &+ UInt64($1 - 48) : $0 }
        }
        bootTicks = read_tsc()
        // `tty=012`: the standard streams that are a terminal on the host.
        machine.terminalStreams = (boot.option("tty") ?? []).reduce(0) { $1 >= 48 && $1 <= 50 ? $0 | 1 << ($1 - 48) : $0 }
        machine.terminalReadAccess = { ignoresStopSignal throws(LinuxErrno) in
            guard let run = ProcessRun.current else { return .reads }
            return try run.terminalReadAccess(ignoresStopSignal: ignoresStopSignal)
        }
    }

    /// Nanoseconds since the machine booted, from the time-stamp counter.
    static func monotonicNanoseconds() -> UInt64 {
        let perMillisecond = max(Timer.tscPerMillisecond, 1)
        let ticks = read_tsc() &- bootTicks
        return ticks / perMillisecond * 1_000_000 + ticks % perMillisecond * 1_000_000 / perMillisecond
    }

    nonisolated(unsafe) static var machine = LinuxMachine(
        monotonicNanoseconds: { monotonicNanoseconds() },
        realTimeNanoseconds: { bootEpochSeconds &* 1_000_000_000 &+ monotonicNanoseconds() },
        random: { UInt64.random(in: UInt64.min...UInt64.max) })

    /// What a Linux program is told at its start besides its arguments, run by `path`.
    static func context(path: [UInt8]) -> ProgramLaunch.LinuxContext {
        var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
        cpuid(1, 0, &a, &b, &c, &d)
        return ProgramLaunch.LinuxContext(environment: environment, executableName: path, random: machine.randomBytes(16),
                                          hardwareCapabilities: UInt64(d))
    }

    /// Loads `base` as the running thread's FS base (its thread pointer).
    static func loadThreadPointer(_ base: UInt64) {
        wrmsr(fsBaseMSR, base)
    }
}
