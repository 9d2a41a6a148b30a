import X86_64Support

/// The kernel's last words: what happened, where, and how it got there, on the kernel log;
/// then power-off with ``status`` so the host knows.
///
/// The backtrace follows the frame-pointer chain (every function saves the caller's RBP
/// next to its return address) and names each address with the kernel's own symbol table,
/// which `apus` passes as a boot module.
enum Panic {
    /// The exit status of a kernel panic.
    static let status: UInt32 = 2
    static let maximumFrames = 32

    static func trap(_ frame: TrapFrame) -> Never {
        let vector = Int(frame.vector)
        log("PANIC: \(exceptionName(frame.vector)) in the kernel")
        log("  vector \(vector), error code \(hexadecimal(frame.errorCode)), CR2 \(hexadecimal(read_cr2()))")
        log("  RIP \(hexadecimal(frame.rip)) \(KernelSymbols.describe(frame.rip))")
        log("  RSP \(hexadecimal(frame.rsp)) RBP \(hexadecimal(frame.registers.rbp)) RFLAGS \(hexadecimal(frame.rflags)) CS \(hexadecimal(frame.cs))")
        log("  RAX \(hexadecimal(frame.registers.rax)) RBX \(hexadecimal(frame.registers.rbx)) RCX \(hexadecimal(frame.registers.rcx)) RDX \(hexadecimal(frame.registers.rdx))")
        log("  RSI \(hexadecimal(frame.registers.rsi)) RDI \(hexadecimal(frame.registers.rdi)) R8 \(hexadecimal(frame.registers.r8)) R9 \(hexadecimal(frame.registers.r9))")
        backtrace(from: frame.registers.rbp)
        PowerOff.exit(status: status)
    }

    /// Stops the kernel for `reason`, a failure that is no CPU exception (a resource the
    /// kernel cannot do without is gone): the reason, the backtrace from here, power-off.
    static func stop(_ reason: String) -> Never {
        log("PANIC: \(reason)")
        backtrace(from: read_rbp())
        PowerOff.exit(status: status)
    }

    /// Walks the RBP chain from `rbp`, printing each return address and its symbol.
    static func backtrace(from rbp: UInt64) {
        log("backtrace:")
        var framePointer = rbp
        var depth = 0
        while depth < maximumFrames, framePointer != 0, framePointer & 7 == 0, isKernelStack(framePointer) {
            let returnAddress = UnsafePointer<UInt64>(bitPattern: UInt(framePointer + 8))!.pointee
            guard returnAddress != 0 else { break }
            // A return address may be the first byte after its caller (a call to a function
            // that never returns), so the caller is the function holding the byte before it.
            log("  #\(depth) \(hexadecimal(returnAddress)) \(KernelSymbols.describe(returnAddress - 1, adding: 1))")
            framePointer = UnsafePointer<UInt64>(bitPattern: UInt(framePointer))!.pointee
            depth += 1
        }
    }

    /// True for addresses in the kernel window, where kernel stacks live (the frame walk
    /// must not follow a corrupt pointer into a fault of its own).
    private static func isKernelStack(_ address: UInt64) -> Bool {
        AddressSpaceLayout.kernelWindow.contains(VirtualAddress(address)) && AddressSpaceLayout.kernelWindow.contains(VirtualAddress(address + 15))
    }
}

/// The deliberate panic of the `panic-test` boot option: a write through a null pointer,
/// two calls deep so the backtrace has frames to show.
enum PanicTest {
    @inline(never)
    static func fault() -> Never {
        outerFrame()
        fatalError("the null write did not fault")
    }

    @inline(never)
    static func outerFrame() { innerFrame(UnsafeMutablePointer<UInt64>(bitPattern: 8)!) }

    @inline(never)
    static func innerFrame(_ pointer: UnsafeMutablePointer<UInt64>) { pointer.pointee = 0xDEAD }
}

/// The deliberate heap exhaustion of the `heap-exhaustion-test` boot option: megabyte
/// arrays kept until the heap cannot serve the next, which must panic in words.
enum HeapExhaustionTest {
    @inline(never)
    static func run() -> Never {
        var kept: [[UInt8]] = []
        while true { kept.append([UInt8](repeating: 1, count: 1 << 20)) }
    }
}
