/// The stack a program starts on, and the arguments laid out on it exactly as ABI.md §3
/// says (KeOS programs read `argv` from it).
///
/// 64 KiB of read-write, non-executable memory just below `0x4748_0000`. From the top: the
/// argument strings, last first, each with its NUL; padding down to 8 bytes; a NULL (`argv[argc]`);
/// the string addresses, `argv[argc-1]` down to `argv[0]` (so `argv` is the lowest); then a
/// fake return address 0, where `rsp` points.
public enum UserStack {
    public static let top: UInt64 = 0x4748_0000
    public static let size: UInt64 = 64 * 1024
    public static var range: VirtualRange { VirtualRange(start: VirtualAddress(top - size), end: VirtualAddress(top)) }

    /// Bytes of the stack that the arguments may take: half of it, so that the program keeps
    /// at least 32 KiB to run on.
    public static var argumentSpace: Int { Int(size / 2) }

    /// The bytes that `argumentCount` strings of `totalLength` bytes in all take on the
    /// stack: each string and its NUL, up to 7 bytes of alignment, the `argv` pointers with
    /// their NULL, and the fake return address.
    public static func requiredBytes(argumentCount: Int, totalLength: Int) -> Int {
        let pointerSize = 8
        return totalLength + argumentCount + (pointerSize - 1) + (argumentCount + 2) * pointerSize
    }

    /// Throws ``LaunchFailure/argumentsTooLarge(bytes:limit:)`` unless `argumentCount`
    /// strings of `totalLength` bytes in all fit in ``argumentSpace``.
    public static func checkFits(argumentCount: Int, totalLength: Int) throws(LaunchFailure) {
        let needed = requiredBytes(argumentCount: argumentCount, totalLength: totalLength)
        guard needed <= argumentSpace else { throw .argumentsTooLarge(bytes: needed, limit: argumentSpace) }
    }

    /// Where the program starts: `rsp`, and `rdi`/`rsi` for `main(argc, argv)`.
    public struct Entry: Equatable {
        public var stackPointer: UInt64
        public var argumentCount: UInt64
        public var argumentVector: UInt64

        public init(stackPointer: UInt64, argumentCount: UInt64, argumentVector: UInt64) {
            self.stackPointer = stackPointer
            self.argumentCount = argumentCount
            self.argumentVector = argumentVector
        }
    }

    /// Maps the stack in `memory` and writes `arguments` onto it. Arguments that do not fit
    /// in the stack are ``KernelError/invalidArgument``; on failure the stack is not mapped.
    public static func build<RAM, P: Pager>(arguments: [[UInt8]], in memory: inout MmStruct<RAM, P>) throws(KernelError) -> Entry {
        do throws(LaunchFailure) {
            try checkFits(argumentCount: arguments.count, totalLength: arguments.reduce(0) { $0 + $1.count })
        } catch {
            throw .invalidArgument
        }

        try memory.addRegion(range, permission: [.read, .write], backing: .anonymous)
        do {
            return try write(arguments, into: &memory)
        } catch {
            try? memory.removeRegion(startingAt: range.start)
            throw error
        }
    }

    private static func write<RAM, P: Pager>(_ arguments: [[UInt8]], into memory: inout MmStruct<RAM, P>) throws(KernelError) -> Entry {
        let pointerSize: UInt64 = 8
        var sp = top
        var addresses: [UInt64] = []
        for argument in arguments.reversed() {
            sp -= UInt64(argument.count + 1)
            try memory.copyOut(argument + [0], to: VirtualAddress(sp))
            addresses.append(sp)
        }
        sp &= ~(pointerSize - 1)
        // argv[argc] = NULL, then argv[argc-1] down to argv[0], so argv[0] is lowest.
        for address in [0] + addresses {
            sp -= pointerSize
            try memory.copyOut(value: address, to: VirtualAddress(sp))
        }
        let argv = sp
        sp -= pointerSize
        try memory.copyOut(value: UInt64(0), to: VirtualAddress(sp)) // the fake return address
        return Entry(stackPointer: sp, argumentCount: UInt64(arguments.count), argumentVector: argv)
    }
}
