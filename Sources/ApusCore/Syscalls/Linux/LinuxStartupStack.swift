/// The stack a Linux program starts on: the System V x86-64 ABI's process start-up layout
/// (ABI.md §7), which glibc's `_start` reads.
///
/// From `rsp` upwards: `argc`; the `argv` pointers and a NULL; the `envp` pointers and a
/// NULL; the auxiliary vector, pairs of (type, value) ending with `AT_NULL`; then, higher,
/// the bytes they point at: the argument and environment strings, the file name of the
/// program (`AT_EXECFN`) and 16 random bytes (`AT_RANDOM`, glibc's stack guard). `rsp` is
/// 16-byte aligned at `argc`.
///
/// 8 MiB of read-write memory below ``top``, filled lazily as the program grows into it
/// (with the eager pager, at once).
public enum LinuxStartupStack {
    public static let top: UInt64 = 0x7FFF_FFFF_F000
    public static let size: UInt64 = 8 << 20
    public static var range: VirtualRange { VirtualRange(start: VirtualAddress(top - size), end: VirtualAddress(top)) }
    /// Bytes the strings and vectors may take: as `UserStack`'s, so that every command a
    /// KeOS program can be given, a Linux program can be too.
    public static var argumentSpace: Int { 128 * 1024 }

    /// Auxiliary vector types (`<elf.h>`).
    public enum AuxiliaryType: UInt64 {
        case null = 0, programHeaders = 3, programHeaderEntrySize = 4, programHeaderCount = 5, pageSize = 6
        case entry = 9, userID = 11, effectiveUserID = 12, groupID = 13, effectiveGroupID = 14
        case hardwareCapabilities = 16, clockTicks = 17, secure = 23, random = 25, executableName = 31
    }

    /// What the auxiliary vector tells the program about itself and the machine.
    public struct ProgramFacts: Equatable, Sendable {
        public var programHeaders: UInt64
        public var programHeaderCount: UInt64
        public var entry: UInt64
        /// The random bytes of `AT_RANDOM`.
        public var random: [UInt8]
        /// `AT_HWCAP`: CPUID leaf 1's EDX, as Linux gives it.
        public var hardwareCapabilities: UInt64

        public init(programHeaders: UInt64, programHeaderCount: UInt64, entry: UInt64, random: [UInt8], hardwareCapabilities: UInt64) {
            self.programHeaders = programHeaders
            self.programHeaderCount = programHeaderCount
            self.entry = entry
            self.random = random
            self.hardwareCapabilities = hardwareCapabilities
        }
    }

    /// The ticks per second `times` counts (`AT_CLKTCK`, Linux's USER_HZ).
    public static let clockTicks: UInt64 = 100

    /// The stack's contents: the bytes from the returned stack pointer up to `top`, with
    /// every pointer in them absolute. `nil` when they need more than ``argumentSpace``.
    public static func image(arguments: [[UInt8]], environment: [[UInt8]], executableName: [UInt8],
                             facts: ProgramFacts, top: UInt64 = top) -> (stackPointer: UInt64, bytes: [UInt8])? {
        guard requiredBytes(arguments: arguments, environment: environment, executableName: executableName) <= argumentSpace
        else { return nil }
        let strings = arguments + environment + [executableName]
        let auxiliary: [(AuxiliaryType, UInt64)] = [
            (.programHeaders, facts.programHeaders), (.programHeaderEntrySize, UInt64(ELFProgram.programHeaderEntrySize)),
            (.programHeaderCount, facts.programHeaderCount), (.pageSize, PageGeometry.pageSize), (.entry, facts.entry),
            (.userID, 0), (.effectiveUserID, 0), (.groupID, 0), (.effectiveGroupID, 0), (.secure, 0),
            (.hardwareCapabilities, facts.hardwareCapabilities), (.clockTicks, clockTicks),
            (.random, 0), (.executableName, 0), (.null, 0),
        ]
        assert(auxiliary.count == auxiliaryPairs, "requiredBytes counts every pair")
        let stackPointer = top - UInt64(requiredBytes(arguments: arguments, environment: environment, executableName: executableName))
        let stringsStart = top - UInt64(stringSpace(arguments: arguments, environment: environment, executableName: executableName))
        var bytes = [UInt8](repeating: 0, count: Int(top - stackPointer))
        func put(_ value: UInt64, at address: UInt64) {
            for index in 0..<8 { bytes[Int(address - stackPointer) + index] = UInt8(truncatingIfNeeded: value >> (index * 8)) }
        }
        // The strings, in order from stringsStart up; the random bytes after them.
        var cursor = stringsStart
        var addresses: [UInt64] = []
        for string in strings {
            addresses.append(cursor)
            for (index, byte) in string.enumerated() { bytes[Int(cursor - stackPointer) + index] = byte }
            cursor += UInt64(string.count + 1)
        }
        let randomAddress = cursor
        for (index, byte) in facts.random.prefix(16).enumerated() { bytes[Int(cursor - stackPointer) + index] = byte }
        var slot = stackPointer
        func push(_ value: UInt64) {
            put(value, at: slot)
            slot += 8
        }
        push(UInt64(arguments.count))
        for index in 0..<arguments.count { push(addresses[index]) }
        push(0)
        for index in 0..<environment.count { push(addresses[arguments.count + index]) }
        push(0)
        for (type, value) in auxiliary {
            push(type.rawValue)
            switch type {
            case .random: push(randomAddress)
            case .executableName: push(addresses[strings.count - 1])
            default: push(value)
            }
        }
        return (stackPointer, bytes)
    }

    /// The auxiliary vector's pairs, `AT_NULL`'s included.
    static let auxiliaryPairs = 15

    /// The bytes from ``top`` down to where the strings start: the strings with their NULs
    /// and the 16 random bytes, rounded up to 16.
    static func stringSpace(arguments: [[UInt8]], environment: [[UInt8]], executableName: [UInt8]) -> Int {
        let named = executableName.count + 1 + 16
        let bytes = environment.reduce(arguments.reduce(named) { $0 + $1.count + 1 }) { $0 + $1.count + 1 }
        return (bytes + 15) & ~15
    }

    /// The bytes the start-up layout of these strings takes below ``top`` (the strings, then
    /// argc, the two vectors with their NULLs and the auxiliary vector, 16-byte aligned):
    /// at most ``argumentSpace`` fit.
    public static func requiredBytes(arguments: [[UInt8]], environment: [[UInt8]], executableName: [UInt8]) -> Int {
        let words = 1 + arguments.count + 1 + environment.count + 1 + 2 * auxiliaryPairs
        return (stringSpace(arguments: arguments, environment: environment, executableName: executableName) + words * 8 + 15) & ~15
    }

    /// Maps the stack in `memory` and writes the start-up layout onto it; returns the stack
    /// pointer. ``KernelError/invalidArgument`` when the strings do not fit (nothing is mapped
    /// then), ``KernelError/noMemory`` when memory runs out.
    public static func build<RAM, P: Pager>(arguments: [[UInt8]], environment: [[UInt8]], executableName: [UInt8],
                                            facts: ProgramFacts, in memory: inout MmStruct<RAM, P>) throws(KernelError) -> UInt64 {
        guard let image = image(arguments: arguments, environment: environment, executableName: executableName, facts: facts)
        else { throw .invalidArgument }
        return try place(image, in: &memory)
    }

    /// Maps the stack in `memory` and writes `image` (as ``image(arguments:environment:executableName:facts:top:)``
    /// made it) onto it; returns the stack pointer. ``KernelError/noMemory`` when memory runs
    /// out, and then nothing is mapped.
    public static func place<RAM, P: Pager>(_ image: (stackPointer: UInt64, bytes: [UInt8]),
                                            in memory: inout MmStruct<RAM, P>) throws(KernelError) -> UInt64 {
        let (stackPointer, bytes) = image
        try memory.addRegion(range, permission: [.read, .write], backing: .anonymous)
        do {
            try memory.copyOut(bytes, to: VirtualAddress(stackPointer))
        } catch {
            try? memory.removeRegion(startingAt: range.start)
            throw error
        }
        return stackPointer
    }
}
