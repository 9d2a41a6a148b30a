import X86_64Support

/// The kernel's disk: a virtio block device (QEMU's `virtio-blk-pci`), as ApusCore's
/// `BlockDevice`.
///
/// A virtio block device is a row of 512-byte *sectors*; the driver asks for sectors with
/// requests on the device's one virtqueue (virtio 1.1 §5.2). A request is a chain of three
/// buffers (§5.2.6): a 16-byte header the device reads (the type, IN to read, OUT to write,
/// FLUSH; and the first sector), the data (4 KiB here: one block is eight sectors, block `n`
/// is sectors `(n − 1) · 8` to `(n − 1) · 8 + 7`), and one status byte the device writes
/// (OK, IOERR, UNSUPP). A flush has no data.
///
/// How a request goes: the driver puts the chain in the queue and notifies the device (one
/// I/O port write); the device does the work in the background and puts the chain's head in
/// the used ring, then raises its interrupt. A thread that asked sleeps meanwhile on
/// ``completions`` (the scheduler runs others); the interrupt handler reads the used ring
/// and wakes the waiters, each of which finds its own request by its head. The kernel runs
/// with interrupts off, so no wake-up is lost: even a request the device completes at once
/// has its interrupt handled only when the CPU next runs a program or idles, after the
/// thread is on the queue. Several threads may have requests in flight at once. With no
/// thread to put to sleep (the boot, the kernel's idle context) the driver polls the used
/// ring instead. A request is never abandoned: its buffer belongs to the device until the
/// device gives it back, so a thread ended meanwhile still waits for it.
///
/// The device is not trusted: a status other than OK, or a result the driver cannot
/// believe, is an IOError; a used ring that names a request not in flight is logged and
/// ignored; one that claims more than was asked makes the driver reset the device (which
/// stops it using any buffer) and fail every request in flight. A block outside
/// `1...blockCount` is refused before the device sees it.
///
/// Owned by the kernel lock (``LockMap``): the threads that make requests hold it, and so does
/// its interrupt handler (Trap.swift), which takes it when the interrupt comes in an idle
/// CPU's `hlt`.
final class VirtioBlockDevice: BlockDevice {
    // PCI identity (§4.1.2): the vendor of every virtio device, and the block device's IDs
    // as a transitional device (with the legacy interface) and as a modern-only one.
    static let vendorID: UInt16 = 0x1AF4
    static let transitionalDeviceID: UInt16 = 0x1001
    static let modernDeviceID: UInt16 = 0x1042
    // Feature bits (§5.2.3): the device is read-only; the device has a write cache that a
    // FLUSH request empties. No other feature is accepted.
    static let featureReadOnly: UInt32 = 1 << 5
    static let featureFlush: UInt32 = 1 << 9
    /// The device configuration's `capacity`: the disk's size in 512-byte sectors (§5.2.4).
    static let capacityOffset: UInt16 = 0
    static let sectorSize = 512
    static let sectorsPerBlock = UInt64(BlockGeometry.blockSize / sectorSize)
    static let requestQueue: UInt16 = 0

    /// Request types (§5.2.6), as the log names them.
    enum RequestType: UInt32 {
        case read = 0 // VIRTIO_BLK_T_IN
        case write = 1 // VIRTIO_BLK_T_OUT
        case flush = 4 // VIRTIO_BLK_T_FLUSH

        var name: StaticString {
            switch self {
            case .read: "read"
            case .write: "write"
            case .flush: "flush"
            }
        }
    }
    /// The request header: type (32 bits), reserved (32), first sector (64).
    static let headerSize = 16
    static let headerReservedOffset = 4, headerSectorOffset = 8
    // Status byte values (§5.2.6); the driver writes `statusUnwritten` first, a value no
    // device writes, so a status left alone reads as a failure.
    static let statusOK: UInt8 = 0, statusIOError: UInt8 = 1, statusUnsupported: UInt8 = 2
    static let statusUnwritten: UInt8 = 0xFF

    /// What the driver knows of a request in flight, by its head.
    private enum Outcome {
        case idle, pending, done, failed
    }

    /// What the device did, for the log and the checks.
    struct Statistics {
        var requests = 0
        var interrupts = 0
        /// Requests the interrupt handler found done (the rest were found by polling).
        var completedByInterrupt = 0
        /// Times a thread went to sleep waiting for the device.
        var sleeps = 0
        /// The most requests the device held at once.
        var peakInFlight = 0
        /// Used-ring entries that named no request in flight.
        var bogusCompletions = 0
    }

    let blockCount: UInt64
    /// Whether the device has a write cache that `flush` empties (VIRTIO_BLK_F_FLUSH).
    let hasWriteCache: Bool
    let readOnly: Bool
    /// The vector of the device's interrupt; `nil` when it has no usable line (then the
    /// driver polls).
    let interruptVector: UInt64?
    /// Where threads wait for their requests; the interrupt handler wakes them.
    let completions = ConditionVariable("the disk completes a request", source: .outside)
    /// Where threads wait for room in the queue (every descriptor in use).
    let room = ConditionVariable("the disk's queue has room for a request")
    private(set) var statistics = Statistics()

    private let registers: VirtioLegacyInterface
    private let queue: Virtqueue
    /// Each head's request header (`headerSize` bytes), then each head's status byte: memory
    /// the device reads and writes, so in the heap window.
    private let requestArea: UnsafeMutableRawPointer
    private let requestAreaAddress: UInt64
    private var outcomes: [Outcome]
    /// Set once the device is reset for good: every request fails.
    private var broken = false

    /// The driver of the device behind `registers`, past feature negotiation: it makes the
    /// request queue and the requests' memory, and gives the device the queue.
    init(registers: VirtioLegacyInterface, queueSize: Int, blockCount: UInt64, features: UInt32, interruptVector: UInt64?) {
        self.registers = registers
        self.blockCount = blockCount
        hasWriteCache = features & Self.featureFlush != 0
        readOnly = features & Self.featureReadOnly != 0
        self.interruptVector = interruptVector
        queue = Virtqueue(size: queueSize)
        (requestArea, requestAreaAddress) = DeviceMemory.allocate(byteCount: queueSize * (Self.headerSize + 1))
        outcomes = Array(repeating: .idle, count: queueSize)
        registers.setQueue(Self.requestQueue, physicalAddress: queue.physicalAddress)
    }

    deinit { requestArea.deallocate() }

    // MARK: - BlockDevice

    func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KernelError) {
        try transfer(.read, block: block, buffer: UnsafeRawBufferPointer(buffer))
    }

    func write(block: UInt64, from buffer: UnsafeRawBufferPointer) throws(KernelError) {
        guard !readOnly else { throw .ioError }
        try transfer(.write, block: block, buffer: buffer)
    }

    /// With a write cache, a FLUSH request: the device answers once every write it completed
    /// is on stable storage. Without one (no VIRTIO_BLK_F_FLUSH), the device writes through
    /// (§5.2.5.1: a driver may assume so when neither FLUSH nor CONFIG_WCE is offered), and
    /// every write that returned has completed, so there is nothing to do.
    func flush() throws(KernelError) {
        guard hasWriteCache else { return }
        try perform(.flush, sector: 0, data: nil)
    }

    /// A read or write of one block through `buffer`, which must be one block long and in
    /// memory the device can reach (DeviceMemory.swift): the direct map or the heap window.
    private func transfer(_ type: RequestType, block: UInt64, buffer: UnsafeRawBufferPointer) throws(KernelError) {
        guard buffer.count == BlockGeometry.blockSize, let base = buffer.baseAddress,
              let address = DeviceMemory.physicalAddress(of: base, byteCount: buffer.count) else {
            log("disk: a \(type.name) of block \(block) with a buffer the device cannot use (\(buffer.count) bytes at \(hexadecimal(UInt64(UInt(bitPattern: buffer.baseAddress))))); refused")
            throw .invalidArgument
        }
        guard block >= 1, block <= blockCount else { throw .ioError }
        let data = Virtqueue.Segment(physicalAddress: address, length: UInt32(buffer.count), deviceWrites: type == .read)
        try perform(type, sector: (block - 1) * Self.sectorsPerBlock, data: data)
    }

    // MARK: - Requests

    /// Puts one request in the queue, waits until the device is done with it, and checks
    /// its status.
    private func perform(_ type: RequestType, sector: UInt64, data: Virtqueue.Segment?) throws(KernelError) {
        let descriptors = data == nil ? 2 : 3
        while !broken && queue.freeCount < descriptors {
            try waitForRoom()
        }
        guard !broken, let head = queue.nextHead else { throw .ioError }
        let header = requestArea + Self.headerSize * Int(head)
        header.storeBytes(of: type.rawValue.littleEndian, as: UInt32.self)
        header.storeBytes(of: UInt32(0), toByteOffset: Self.headerReservedOffset, as: UInt32.self)
        header.storeBytes(of: sector.littleEndian, toByteOffset: Self.headerSectorOffset, as: UInt64.self)
        let statusOffset = Self.headerSize * queue.size + Int(head)
        requestArea.storeBytes(of: Self.statusUnwritten, toByteOffset: statusOffset, as: UInt8.self)

        var segments = [Virtqueue.Segment(physicalAddress: requestAreaAddress + UInt64(Self.headerSize) * UInt64(head),
                                          length: UInt32(Self.headerSize), deviceWrites: false)]
        if let data { segments.append(data) }
        segments.append(Virtqueue.Segment(physicalAddress: requestAreaAddress + UInt64(statusOffset), length: 1, deviceWrites: true))
        outcomes[Int(head)] = .pending
        _ = queue.offer(segments)
        registers.notify(queue: Self.requestQueue)
        statistics.requests += 1
        statistics.peakInFlight = max(statistics.peakInFlight, queue.inFlight)

        waitForCompletion(of: head)
        let status = volatile_load8(requestArea + statusOffset)
        let outcome = outcomes[Int(head)]
        outcomes[Int(head)] = .idle
        queue.release(head)
        if !room.waiters.isEmpty { Kernel.scheduler.broadcast(room) }
        guard outcome == .done else { throw .ioError }
        guard status == Self.statusOK else {
            let answer = status == Self.statusIOError ? "IOERR" : status == Self.statusUnsupported ? "UNSUPP" : "status \(status)"
            log("disk: the device answered \(answer) to a \(type.name) at sector \(sector)")
            throw .ioError
        }
    }

    /// Waits until the device is done with the request at `head`. A thread sleeps on
    /// ``completions`` at once, without a look at the used ring: interrupts are off in the
    /// kernel, so the device's interrupt is handled only once the CPU runs a program or idles,
    /// after the thread is on the queue, and the handler marks the request done and wakes it.
    /// A thread woken otherwise (without an interrupt line, by the idle context's look at the
    /// ring) reads the used ring itself. With no thread running, the used ring is polled.
    private func waitForCompletion(of head: UInt16) {
        while outcomes[Int(head)] == .pending {
            if Kernel.scheduler.current != nil {
                statistics.sleeps += 1
                Kernel.scheduler.wait(on: completions)
            } else {
                cpu_pause()
            }
            collectCompletions()
        }
    }

    /// Waits until a chain is given back. A thread sleeps until another request's end frees
    /// its descriptors; the idle context can only wait for chains the device still holds
    /// (a chain the device gave back waits for a thread that is not running), else Busy.
    private func waitForRoom() throws(KernelError) {
        if Kernel.scheduler.current != nil { return Kernel.scheduler.wait(on: room) }
        collectCompletions()
        if queue.inFlight == 0 { throw .busy }
        cpu_pause()
    }

    /// Reads the used ring: each request done is marked so, a bogus entry is logged and
    /// ignored, and an overrun gives up on the device. Wakes the waiters when something ended.
    func collectCompletions(byInterrupt: Bool = false) {
        var ended = false
        while let completion = queue.takeCompletion() {
            switch completion {
            case .done(let head, _):
                // The used length is not checked: legacy devices were allowed to get it wrong
                // (the legacy note of §2.6.8); the status byte says whether the data arrived.
                outcomes[Int(head)] = .done
                if byInterrupt { statistics.completedByInterrupt += 1 }
                ended = true
            case .bogus(let id):
                statistics.bogusCompletions += 1
                log("disk: the device completed request \(id), which is not in flight; ignored")
            case .overrun(let claimed, let inFlight):
                giveUp("the device claims \(claimed) completions with \(inFlight) requests in flight")
                ended = true
            }
        }
        if ended { Kernel.scheduler.broadcast(completions) }
    }

    /// Resets the device for good and fails every request in flight with IOError: a reset
    /// device forgets its queues and uses none of their buffers any more (§4.1.4.8; QEMU
    /// finishes or cancels what it holds before the reset returns).
    private func giveUp(_ reason: String) {
        log("disk: \(reason); the disk is reset and every request fails from now on")
        registers.reset()
        registers.add(.failed)
        broken = true
        for head in queue.reclaimAll() { outcomes[Int(head)] = .failed }
        Kernel.scheduler.broadcast(completions)
        Kernel.scheduler.broadcast(room)
    }

    // MARK: - The interrupt, and the run loop

    /// The device's interrupt (Trap.swift): true when `vector` is the disk's, which is then
    /// served: the interrupt status read (which lowers the line), the used ring read, the
    /// waiters woken, the interrupt controller told.
    func handleInterrupt(vector: UInt64) -> Bool {
        guard vector == interruptVector else { return false }
        let status = registers.takeInterruptStatus()
        statistics.interrupts += 1
        if !broken {
            if status.contains(.configurationChange), registers.status.contains(.deviceNeedsReset) {
                giveUp("the device needs a reset")
            } else {
                collectCompletions(byInterrupt: true)
            }
        }
        LocalAPIC.endOfInterrupt()
        return true
    }

    /// Requests the device holds now: while there are any, a thread waiting on
    /// ``completions`` or ``room`` will be woken by the device, not by another thread.
    var requestsInFlight: Int { queue.inFlight }

    /// Whether the device has put completions in the used ring that nobody has read yet:
    /// then a thread waiting on ``completions`` could go on once they are read.
    var hasUnreadCompletions: Bool { queue.hasUnreadCompletions }

    /// Whether threads waiting on `waitQueue` wait for this disk.
    func isDiskWait(_ waitQueue: WaitQueue) -> Bool {
        waitQueue === completions.waiters || waitQueue === room.waiters
    }

    /// For the idle context when no thread is ready and some wait for the disk: halts until
    /// an interrupt (the disk's, or the timer's) and looks at the used ring; without an
    /// interrupt line, looks at the ring once.
    func idle() {
        if interruptVector != nil { Kernel.scheduler.idle() } else { cpu_pause() }
        collectCompletions()
    }
}

/// The disk is something outside the threads that ends their waits: the run watches it, so
/// a thread waiting for a request in flight is never taken for deadlocked, and the CPU
/// idles until the disk's interrupt rather than spin.
extension VirtioBlockDevice: OutsideWakeSource {
    var condition: ConditionVariable { completions }
    var waiterCanGoOn: Bool { hasUnreadCompletions }
}
