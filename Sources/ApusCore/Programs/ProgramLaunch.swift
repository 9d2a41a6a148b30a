/// Starting a program: the checks and steps between a file and a process's first
/// instruction, with a reason in words for every way it can fail.
///
/// The file must be an ELF program the loader accepts (``ELFProgram``), whose entry point
/// lies inside a segment it loads as executable, and whose segments leave the stack's range
/// free; the arguments must fit on the stack of its personality (``UserStack``,
/// ``LinuxStartupStack``). Each is checked before the kernel maps anything, so no file and
/// no argument list can make the kernel run out of memory or jump to an address the
/// program never mapped.
public enum ProgramLaunch {
    /// Where the program starts: its entry point, and the stack built for it.
    public struct Start: Equatable {
        public var entry: VirtualAddress
        public var stack: UserStack.Entry
        /// The system call table the program uses, from its header (ABI.md §7).
        public var personality: Personality = .keos
        /// Where a Linux program's break starts: the first page past its segments.
        public var programBreak = VirtualAddress(0)
    }

    /// What a Linux program is told besides its arguments: its environment, the name it was
    /// run by (`AT_EXECFN`) and the machine's facts (``LinuxStartupStack``).
    public struct LinuxContext: Sendable {
        public var environment: [[UInt8]]
        public var executableName: [UInt8]
        public var random: [UInt8]
        public var hardwareCapabilities: UInt64

        public init(environment: [[UInt8]], executableName: [UInt8], random: [UInt8], hardwareCapabilities: UInt64) {
            self.environment = environment
            self.executableName = executableName
            self.random = random
            self.hardwareCapabilities = hardwareCapabilities
        }
    }

    /// Loads `file` into `memory` with `arguments` (argv, from argv[0]) on its stack. On
    /// failure nothing of the program stays mapped. A program whose header says GNU/Linux
    /// (or any program, when `unmarked` is Linux) gets Linux's start-up stack with `linux`'s
    /// environment, and its strings may fill ``LinuxStartupStack/argumentSpace``; every
    /// other gets KeOS's, and its arguments may fill ``UserStack/argumentSpace`` (ABI.md §3).
    public static func load<RAM, P: Pager>(
        _ file: any MappableFile, arguments: [[UInt8]], into memory: inout MmStruct<RAM, P>,
        unmarked: Personality = .keos, linux: LinuxContext? = nil
    ) throws(LaunchFailure) -> Start {
        let program: ELFProgram
        do throws(KernelError) {
            program = try ELFProgram(file: file)
        } catch {
            throw error == .ioError ? .unreadable : .notAProgram
        }
        guard program.segments.contains(where: { $0.permission.contains(.executable) && $0.contains(program.entry) }) else {
            throw .entryOutsideCode(program.entry)
        }
        let personality = Personality(osABI: program.osABI, unmarked: unmarked)
        let stackRange = personality == .linux ? LinuxStartupStack.range : UserStack.range
        guard !program.segments.contains(where: { $0.pages.overlaps(stackRange) }) else { throw .segmentOverlapsStack }
        // The stack's contents are measured (and a Linux one made) before anything is mapped.
        var linuxStack: (stackPointer: UInt64, bytes: [UInt8])?
        if personality == .linux {
            let context = linux ?? LinuxContext(environment: [], executableName: arguments.first ?? [], random: [], hardwareCapabilities: 0)
            let facts = LinuxStartupStack.ProgramFacts(
                programHeaders: program.programHeaderAddress ?? 0, programHeaderCount: UInt64(program.programHeaderCount),
                entry: program.entry.raw, random: context.random, hardwareCapabilities: context.hardwareCapabilities)
            linuxStack = LinuxStartupStack.image(arguments: arguments, environment: context.environment,
                                                 executableName: context.executableName, facts: facts)
            guard linuxStack != nil else {
                throw .argumentsTooLarge(bytes: LinuxStartupStack.requiredBytes(arguments: arguments, environment: context.environment,
                                                                                executableName: context.executableName),
                                         limit: LinuxStartupStack.argumentSpace)
            }
        } else {
            try UserStack.checkFits(argumentCount: arguments.count, totalLength: arguments.reduce(0) { $0 + $1.count })
        }
        do throws(KernelError) {
            try program.load(from: file, into: &memory)
        } catch {
            switch error {
            case .noMemory: throw .outOfMemory
            case .ioError: throw .unreadable
            default: throw .notAProgram
            }
        }
        do throws(KernelError) {
            guard let linuxStack else {
                return Start(entry: program.entry, stack: try UserStack.build(arguments: arguments, in: &memory))
            }
            let stackPointer = try LinuxStartupStack.place(linuxStack, in: &memory)
            return Start(entry: program.entry,
                         stack: UserStack.Entry(stackPointer: stackPointer, argumentCount: 0, argumentVector: 0),
                         personality: .linux, programBreak: program.end)
        } catch {
            // The arguments were measured above and the stack's range is free: only memory
            // can be missing.
            for segment in program.segments { try? memory.removeRegion(startingAt: segment.pages.start) }
            throw .outOfMemory
        }
    }
}

extension ProgramLaunch {
    /// The longest program name a command may give.
    public static var maximumNameLength: Int { 4096 }

    /// Splits a command image, the program's file name then its argv strings (argv[0]
    /// first), each ending in NUL, as `apus` hands it to the kernel. The sizes are checked
    /// before anything is allocated, so that no image (300,000 strings, a name of a hundred
    /// megabytes) can exhaust the kernel heap: what cannot fit on the stack is refused
    /// while it is still only counted.
    public static func command(from image: UnsafeRawBufferPointer) throws(LaunchFailure) -> (program: [UInt8], arguments: [[UInt8]]) {
        guard let nameEnd = image.firstIndex(of: 0), nameEnd > 0 else { throw .noProgramNamed }
        guard nameEnd <= maximumNameLength else { throw .nameTooLong(limit: maximumNameLength) }
        let rest = UnsafeRawBufferPointer(rebasing: image[(nameEnd + 1)...])
        var terminators = 0
        for byte in rest where byte == 0 { terminators += 1 }
        let count = terminators + (rest.last.map { $0 == 0 ? 0 : 1 } ?? 0)
        guard count > 0 else { throw .noProgramNamed }
        try UserStack.checkFits(argumentCount: count, totalLength: rest.count - terminators)
        var arguments: [[UInt8]] = []
        arguments.reserveCapacity(count)
        var start = 0
        for index in 0...rest.count where index == rest.count ? start < rest.count : rest[index] == 0 {
            arguments.append(Array(rest[start..<index]))
            start = index + 1
        }
        return (Array(image[..<nameEnd]), arguments)
    }
}

/// Why a program could not start.
public enum LaunchFailure: Error, Equatable, Sendable {
    /// The file is not an ELF64 x86-64 executable the loader accepts.
    case notAProgram
    /// The entry point is not inside a segment loaded as executable.
    case entryOutsideCode(VirtualAddress)
    /// A segment would occupy the stack's range.
    case segmentOverlapsStack
    /// The argument strings, their NULs and their pointers need `bytes`; the stack gives
    /// them `limit`.
    case argumentsTooLarge(bytes: Int, limit: Int)
    /// No memory was left to load it.
    case outOfMemory
    /// The disk failed while the program was read.
    case unreadable
    /// The command names no program, or gives it no argv[0].
    case noProgramNamed
    /// The program's name is longer than `limit` bytes.
    case nameTooLong(limit: Int)
}

extension LaunchFailure: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notAProgram: "not a valid x86-64 ELF executable"
        case .entryOutsideCode(let entry): "its entry point \(entry) is not inside a segment loaded as executable"
        case .segmentOverlapsStack: "a segment overlaps the stack at \(UserStack.range)"
        case .argumentsTooLarge(let bytes, let limit):
            "the arguments need \(bytes) bytes of the stack and at most \(limit) are available to them"
        case .outOfMemory: "not enough memory to load it"
        case .unreadable: "the disk failed while it was read"
        case .noProgramNamed: "no program named"
        case .nameTooLong(let limit): "its name is longer than \(limit) bytes"
        }
    }
}

extension ELFProgram.Segment {
    /// True when `address` is one of the segment's bytes in memory.
    public func contains(_ address: VirtualAddress) -> Bool {
        address.raw >= virtualAddress && address.raw - virtualAddress < memorySize
    }
}
