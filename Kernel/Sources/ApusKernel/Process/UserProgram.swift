import ApusCore
import KernelSupport

/// Running one user program: load it, enter ring 3, serve its system calls and faults, and
/// come back with its exit status when it ends.
///
/// Apus runs one process at a time. Its memory is an `MmStruct` that shares the kernel's
/// slots, with the pager the boot chose (lazy unless `pager=eager`); when the process ends,
/// the `MmStruct` goes and with it every frame and table it had.
final class UserProgram {
    typealias Memory = MmStruct<DirectMap, PagingPolicy>

    /// The process running now, if any (system calls and user faults go to it).
    nonisolated(unsafe) static var current: UserProgram?

    private(set) var process: Process<DirectMap, PagingPolicy>
    private let context = UnsafeMutablePointer<KernelContext>.allocate(capacity: 1)

    private init(process: consuming Process<DirectMap, PagingPolicy>) {
        self.process = process
    }

    deinit { context.deallocate() }

    /// Loads `program` with `arguments` and runs it to its end; returns its exit status, or
    /// why it could not start.
    static func run(_ program: RegularFile, arguments: [[UInt8]], pager: PagingPolicy, fileSystem: RootFileSystem,
                    console: any Console) -> Result<Int64, LaunchFailure> {
        let user: UserProgram
        var entry: UserEntry
        do throws(LaunchFailure) {
            var memory: Memory
            do throws(KernelError) {
                memory = try Memory(frames: Kernel.memory.frames, pager: pager, kernelTemplate: Kernel.memory.pageTable.root)
            } catch {
                throw .outOfMemory
            }
            let start = try ProgramLaunch.load(program, arguments: arguments, into: &memory)
            entry = UserEntry(rip: start.entry.raw, rsp: start.stack.stackPointer, argc: start.stack.argumentCount, argv: start.stack.argumentVector)
            user = UserProgram(process: Process(memory: memory, fileSystem: fileSystem, console: console))
        } catch {
            return .failure(error)
        }
        current = user
        write_cr3(user.process.memory.pageTable.root.raw)
        let status = enter_user(&entry, user.context)
        write_cr3(Kernel.memory.pageTable.root.raw)
        user.process.files.closeAll()
        current = nil
        return .success(status)
    }

    /// Ends the process with `status` once the current handler returns: the entry code then
    /// goes back to `run`, which returns it. (Leaving from here would strand the references
    /// the Swift frames on this stack hold.)
    func exit(status: Int64) {
        user_exit_context = context
        user_exit_status = status
        user_exit_pending = 1
    }

    /// A system call from the program.
    func systemCall(_ frame: UnsafeMutablePointer<SyscallFrame>) {
        let registers = frame.pointee.registers
        let arguments = SyscallArguments(registers.rdi, registers.rsi, registers.rdx, registers.r10, registers.r8, registers.r9)
        switch process.dispatch(registers.rax, arguments) {
        case .returns(let value): frame.pointee.registers.rax = UInt64(bitPattern: value)
        case .exit(let status):
            exit(status: Int64(status))
            return
        case .blockedForever:
            log("process blocked forever: it reads an empty pipe that only it could write; killed with status -1")
            exit(status: -1)
            return
        }
        if SyscallReturn(to: registers.rcx) == .endProcess {
            log("system call returns to the non-canonical address \(hexadecimal(registers.rcx)); process killed with status -1")
            exit(status: -1)
        }
    }

    /// An exception while the program ran: a page fault it may be owed (a lazy page), or
    /// the end of the process with status −1 and a line in the kernel log (ABI.md §3).
    func fault(_ frame: UnsafeMutablePointer<TrapFrame>) {
        let vector = frame.pointee.vector
        if vector == Traps.pageFault {
            let address = read_cr2()
            switch process.memory.handleUserPageFault(at: VirtualAddress(address), errorCode: PageFaultErrorCode(rawValue: frame.pointee.errorCode)) {
            case .resolved: return
            case .segmentationFault(let cause):
                log("page fault at \(hexadecimal(address)): \(cause) (rip \(hexadecimal(frame.pointee.rip))); process killed with status -1")
            case .outOfMemory:
                let frames = 1 + process.memory.pageTable.tableCount() + process.memory.pageTable.mappedPageCount()
                log("page fault at \(hexadecimal(address)): no frame left for the page, the process had \(frames) frames (rip \(hexadecimal(frame.pointee.rip))); process killed with status -1")
            }
        } else {
            let name = Int(vector) < exceptionNames.count ? "\(exceptionNames[Int(vector)])" : "interrupt \(vector)"
            log("\(name) at rip \(hexadecimal(frame.pointee.rip)); process killed with status -1")
        }
        exit(status: -1)
    }
}

/// What user.S leaves on the stack on `syscall`: the registers (rcx holds the user's rip,
/// r11 its rflags), then the user's rsp.
struct SyscallFrame {
    var registers: GeneralRegisters
    var userRSP: UInt64
}

@_cdecl("apus_syscall")
public func apusSyscall(_ rawFrame: UnsafeMutableRawPointer) {
    let frame = rawFrame.assumingMemoryBound(to: SyscallFrame.self)
    guard let user = UserProgram.current else { fatalError("system call with no process") }
    user.systemCall(frame)
}

/// The console of a program: standard input from the `stdin` boot module (then end of
/// input), standard output to COM1, standard error to COM3.
final class BootConsole: Console {
    private let input: UnsafeRawBufferPointer
    private var consumed = 0

    init(input: UnsafeRawBufferPointer) { self.input = input }

    var pendingInputCount: Int { input.count - consumed }

    func readInput(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(buffer.count, input.count - consumed)
        if count > 0 { buffer.baseAddress!.copyMemory(from: input.baseAddress! + consumed, byteCount: count) }
        consumed += count
        return count
    }

    func write(_ bytes: UnsafeRawBufferPointer, to stream: ConsoleStream) {
        switch stream {
        case .output: Serial.console.write(bytes)
        case .error: Serial.errors.write(bytes)
        }
    }
}
