// Instantiates every generic piece of ApusCore the way the kernel will, so that compiling
// this file together with the core in Embedded mode proves the core is Embedded-clean:
// Embedded Swift reports most of its restrictions only for code it actually specializes.

/// The kernel's window: all of RAM mapped at a fixed offset in the kernel half.
struct DirectMap: PhysicalMemory {
    var offset: UInt64
    func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(address.raw &+ offset))!
    }
    func invalidateTranslation(of address: VirtualAddress, inAddressSpaceOf root: PhysicalAddress) {}
    func invalidateAllTranslations(inAddressSpaceOf root: PhysicalAddress) {}
}

final class RamFile: MappableFile {
    let bytes: UnsafeRawBufferPointer
    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    func size() -> UInt64 { UInt64(bytes.count) }
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(buffer.count, bytes.count - Int(offset))
        buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + Int(offset), byteCount: count)
        return count
    }
    func sharedPage(at index: UInt64) -> PhysicalAddress? { nil }
    var inodeNumber: UInt32? { nil }
}

struct OneFileTable: MappableFileSource {
    let file: RamFile
    func mappableFile(_ descriptor: Int32) throws(KernelError) -> any MappableFile {
        guard descriptor == 3 else { throw descriptor < 3 && descriptor >= 0 ? .invalidArgument : .badFileDescriptor }
        return file
    }
}

final class NullConsole: Console {
    let arrival = ConditionVariable("console input arrives or ends", source: .outside)
    var inputArrival: ConditionVariable? { arrival }
    var pendingInputCount: Int { 0 }
    func readInput(into buffer: UnsafeMutableRawBufferPointer) -> Int { 0 }
    func write(_ bytes: UnsafeRawBufferPointer, to stream: ConsoleStream) {}
}

/// What the kernel keeps of a process, as the process table and the run queue hold it.
final class ControlBlock {
    let id: ProcessID
    init(_ id: ProcessID) { self.id = id }
}

@_cdecl("apus_embedded_check")
public func embeddedCheck(offset: UInt64, start: UInt64, end: UInt64, file: UnsafeRawPointer, fileSize: Int) -> Int64 {
    let frames = FrameAllocator(memory: DirectMap(offset: offset), range: PhysicalRange(start: PhysicalAddress(start), end: PhysicalAddress(end)))
    var total: Int64 = 0
    do throws(KernelError) {
        var mm = try MmStruct(frames: frames, pager: EagerPager())
        let files = OneFileTable(file: RamFile(bytes: UnsafeRawBufferPointer(start: file, count: fileSize)))
        total += KeOSSyscalls.mmap(SyscallArguments(0x1000_0000, 0x2000, 3, UInt64.max, 0), mm: &mm, files: files)
        total += KeOSSyscalls.mmap(SyscallArguments(0x2000_0000, 0x2000, 1, 3, 0), mm: &mm, files: files)
        var word: UInt64 = 0x4150_5553
        try withUnsafeBytes(of: &word) { bytes throws(KernelError) in try mm.copyOut(bytes, to: VirtualAddress(0x1000_0010)) }
        try withUnsafeMutableBytes(of: &word) { bytes throws(KernelError) in try mm.copyIn(from: VirtualAddress(0x2000_0000), into: bytes) }
        total += Int64(try mm.copyInCString(at: VirtualAddress(0x1000_0010), maximumLength: 64).count)
        total += mm.accessOK(VirtualAddress(0x1000_0000), length: 0x2000, write: true) ? 1 : 0
        if case .segmentationFault(let cause) = mm.resolveAccess(at: VirtualAddress(0x2000_0000), access: .write) {
            total += Int64(cause.description.utf8.count)
        }
        total += Int64((try? mm.pageTable.walk(VirtualAddress(0x1000_0000)))?.raw ?? 0 & 0xFFF)
        total += KeOSSyscalls.munmap(SyscallArguments(0x1000_0000), mm: &mm)
        total += Int64(mm.regionCount) + Int64(mm.pageTable.tableCount())
        mm.forEachRegion { region in total += Int64(region.range.pageCount) }
        total += Int64(mm.region(containing: VirtualAddress(0x2000_0000))?.permission.description.utf8.count ?? 0)
    } catch {
        total = error.syscallReturnValue + Int64(error.description.utf8.count)
    }
    // Copy-on-write fork, with the pager the kernel chooses by value.
    do throws(KernelError) {
        var parent = try MmStruct(frames: frames, pager: PagingPolicy.lazy)
        _ = try parent.mmap(at: VirtualAddress(0x1000_0000), length: 0x2000, protection: [.read, .write], backing: .anonymous)
        try parent.copyOut(value: UInt64(0x4150_5553), to: VirtualAddress(0x1000_0008))
        var child = try parent.fork()
        try child.copyOut(value: UInt64(1), to: VirtualAddress(0x1000_0008))
        if let entry = try? child.pageTable.walk(VirtualAddress(0x1000_0000)) {
            total += Int64(frames.shareCount(of: entry.frame)) + Int64(entry.raw & 0xFFF)
        }
        if child.resolveAccess(at: VirtualAddress(0x1000_1000), access: .write) == .resolved { total += 1 }
        // The memory map `--memory-map` reports, and its records.
        let map = child.memoryMap(limit: MemoryMapRecords.regionLimit)
        let snapshot = MemoryMapRecords.Snapshot(moment: .fork, run: 0, process: 2, parent: 1, regions: map)
        total += Int64(MemoryMapRecords.records(of: snapshot).count) + Int64(map.first?.sharedPages ?? 0)
        parent.pageTable.forEachMappedPage(in: VirtualRange(start: VirtualAddress(0x1000_0000), end: VirtualAddress(0x1000_2000))) { page, entry in
            total += Int64(truncatingIfNeeded: page.raw ^ entry.raw)
        }
    } catch {
        total -= 2
    }
    // A process over a disk: the ELF loader, the stack, the file table and the system calls.
    // (The file's bytes are made at run time: a constant tree of constant arrays crashes
    // this compiler's Embedded code generation.)
    let processDisk = MemoryBlockDevice(blockCount: 8_192)
    do throws(KernelError) {
        let program = [UInt8](UnsafeRawBufferPointer(start: file, count: fileSize))
        try FileSystemImage.make(on: processDisk, geometry: FileSystemGeometry(blockCount: 8_192, inodeCount: 512, hasJournal: true),
                                 tree: [.file(path: [0x70], contents: program)], frames: frames)
        let fileSystem: FileSystem<DirectMap>
        do throws(MountFailure) { fileSystem = try FileSystem.mount(processDisk, frames: frames) } catch { throw error.kernelError }
        frames.reclaimer = fileSystem
        var memory = try MmStruct(frames: frames, pager: PagingPolicy.lazy)
        let handle = try InodeHandle.open([0x70], from: FileSystem<DirectMap>.rootInode, in: fileSystem)
        try ELFProgram(file: handle).load(from: handle, into: &memory)
        let entry = try UserStack.build(arguments: [[0x41]], in: &memory)
        var process = UserProcess(mm: memory, fileSystem: fileSystem, console: NullConsole())
        let fault = process.mm.handlePageFault(at: VirtualAddress(entry.stackPointer), errorCode: PageFaultErrorCode(rawValue: 0x7))
        if case .segmentationFault(let cause) = fault { total += Int64(cause.description.utf8.count) }
        total += ReturnAddressVerdict(returningTo: entry.argumentVector) == .sysret ? 1 : 0
        for number in 0..<UInt64(32) {
            if case .returns(let value) = KeOSSyscalls.dispatch(number, SyscallArguments(entry.stackPointer, entry.argumentVector, 1), by: 1, in: &process) {
                total += value
            }
        }
        total += Int64(process.currentDirectory.inode)
        process.closeAllFiles()
        frames.reclaimer = nil
        fileSystem.settleReleases()
        try fileSystem.unmount()
    } catch {
        total -= 1
    }
    // Starting a program: the command image and the launch checks, with their messages.
    do throws(LaunchFailure) {
        let command = try ProgramLaunch.command(from: UnsafeRawBufferPointer(start: file, count: fileSize))
        var memory = try? MmStruct(frames: frames, pager: EagerPager())
        if var mm = memory.take() {
            let program = RamFile(bytes: UnsafeRawBufferPointer(start: file, count: fileSize))
            total += Int64(try ProgramLaunch.load(program, arguments: command.arguments, into: &mm).entry.raw)
        }
    } catch {
        total += Int64(error.description.utf8.count)
    }
    // Process life: the table, the scheduling policy and the deadlock rule, as the kernel uses them.
    var table = ProcessTable<ControlBlock>()
    table.startFirst(ControlBlock(ProcessTable<ControlBlock>.firstProcessID))
    if let child = try? table.fork(from: ProcessTable<ControlBlock>.firstProcessID, { (id) throws(KernelError) in ControlBlock(id) }) {
        total += Int64(child.value)
    }
    if let thread = try? table.startThread({ (_) throws(KernelError) in }) { total += Int64(thread.value) }
    table.threadFreed()
    for step in table.end(ProcessTable<ControlBlock>.firstProcessID, status: 0) {
        if case .endRun(_, let survivors) = step { total += Int64(survivors.count) }
    }
    var queue = RoundRobin<ControlBlock>()
    queue.enqueue(ControlBlock(3))
    total += Int64(queue.next()?.id.value ?? 0)
    var perCPU = PerCPURunQueues<ControlBlock>(cpuCount: 4)
    total += Int64(perCPU.enqueue(ControlBlock(5), .woken(lastCPU: 2))?.value ?? 0)
    total += Int64(perCPU.next(on: 1)?.id.value ?? 0)
    var validator = LockOrderValidator()
    let lock = Spinlock("the frames", class: validator.register("the frames"))
    if validator.acquiring(lock.lockClass, on: 0) == nil, case .acquired(let failed) = lock.acquire(by: 0) {
        total += Int64(failed)
        lock.release(by: 0)
        validator.released(lock.lockClass, on: 0)
    }
    total += Int64(CPUSet.first(4).removing(1).count)
    let arrival = ConditionVariable("console input arrives or ends", source: .outside)
    arrival.enqueue(ThreadID(4))
    total += DeadlockRule.verdict([ThreadState.waiting(arrival.waiters), .ended]) == .waitsForOutside ? 1 : 0
    total += Int64(arrival.broadcast().count)
    // The file system on a disk, as the kernel mounts its root: mkfs, mount, the calls, fsck.
    let device = MemoryBlockDevice(blockCount: 8_192)
    do throws(KernelError) {
        let contents = [UInt8](repeating: UInt8(truncatingIfNeeded: fileSize), count: 3)
        try FileSystemImage.make(on: device, geometry: FileSystemGeometry(blockCount: 8_192, inodeCount: 512, hasJournal: true),
                                 tree: [.file(path: [0x2F, 0x61], contents: contents), .directory(path: [0x2F, 0x64])], frames: frames)
    } catch {
        total -= 3
    }
    do throws(MountFailure) {
        let fileSystem = try FileSystem.mount(device, frames: frames)
        do throws(KernelError) {
            let root = FileSystem<DirectMap>.rootInode
            try fileSystem.create([0x62], from: root)
            try fileSystem.makeDirectory([0x64, 0x2F, 0x65], from: root)
            let opened = try fileSystem.open([0x62], from: root)
            var word: UInt64 = 0x4150_5553
            total += try withUnsafeBytes(of: &word) { bytes throws(KernelError) in Int64(try fileSystem.write(opened.inode, at: 4_096, from: bytes)) }
            total += try withUnsafeMutableBytes(of: &word) { bytes throws(KernelError) in Int64(try fileSystem.read(opened.inode, at: 0, into: bytes)) }
            total += Int64(truncatingIfNeeded: try fileSystem.page(of: opened.inode, at: 1).raw)
            try fileSystem.synchronize(opened.inode)
            try fileSystem.unlink([0x62], from: root)
            fileSystem.release(opened.inode)
            total += Int64(try fileSystem.status([0x64, 0x2F], from: root).record.count)
            total += Int64(try fileSystem.entries(of: fileSystem.inode(root), from: 0, count: 8).entries.count)
            total += Int64(try fileSystem.directory([0x2E, 0x2E], from: root))
            total += Int64(fileSystem.releaseFrames(4))
            try fileSystem.unmount()
        } catch {
            total -= error.syscallReturnValue
        }
    } catch {
        total += Int64(error.reason.utf8.count)
    }
    for problem in FileSystemCheck.check(device) { total += Int64(problem.utf8.count) }

    var map = AddressMap<Int>()
    map.insert(1, at: 5)
    total += Int64(map.floor(6)?.value ?? 0) + Int64(map.invariantViolation()?.utf8.count ?? 0)
    total += Int64(VirtualAddress(start).description.utf8.count) + Int64(frames.freeCount)
    return total
}
