import X86_64Support

/// A split virtqueue (virtio 1.1 §2.6): the memory through which a driver hands buffers to a
/// virtio device and gets them back.
///
/// Three parts, in one physically contiguous, page-aligned block laid out for the queue's
/// size `Q` (the legacy layout, §2.6.2):
/// * the **descriptor table** (§2.6.5), `Q` entries of 16 bytes: a buffer's physical address
///   (64 bits), its length (32), flags (16: NEXT, the chain goes on at `next`; WRITE, the
///   device writes the buffer rather than reads it) and `next` (16). A request is a *chain*
///   of descriptors, named by its first, the *head*;
/// * the **available ring** (§2.6.6), written by the driver: flags, `idx` (how many heads it
///   ever offered, wrapping at 2¹⁶), then `Q` slots of heads;
/// * the **used ring** (§2.6.8), on the next page, written by the device: flags, `idx`, then
///   `Q` slots of (head, bytes the device wrote) for the chains it is done with.
///
/// The driver owns a descriptor from the moment it takes it off its free list until the
/// device puts its chain in the used ring and the driver has read the result. The device
/// only ever sees the rings and descriptors; the free list and the chains' links are kept
/// in kernel memory the device cannot write, and whatever the device puts in the used ring
/// is checked before it is believed (an index that runs ahead of what was offered, a head
/// that is not in flight): a broken or hostile device can make requests fail, never make
/// the kernel touch memory outside the queue.
final class Virtqueue {
    /// One buffer of a request: where it is, how long, and whether the device writes it.
    struct Segment {
        var physicalAddress: UInt64
        var length: UInt32
        var deviceWrites: Bool
    }

    /// What the used ring said next.
    enum Completion: Equatable {
        /// The chain at `head` is done; the device wrote `length` bytes into it.
        case done(head: UInt16, length: UInt32)
        /// An entry naming `id`, which is no chain in flight: ignored.
        case bogus(id: UInt32)
        /// The device claims more completions than there are requests in flight: its ring
        /// cannot be believed any more.
        case overrun(claimed: Int, inFlight: Int)
    }

    // Layout (§2.6.2, §2.6.5, §2.6.6, §2.6.8).
    static let descriptorSize = 16
    static let descriptorLengthOffset = 8, descriptorFlagsOffset = 12, descriptorNextOffset = 14
    static let ringHeaderSize = 4 // flags, idx
    static let ringIndexOffset = 2
    static let availableSlotSize = 2, usedSlotSize = 8
    static let ringEventSize = 2 // used_event / avail_event, unused (no VIRTIO_F_EVENT_IDX)
    static let usedLengthOffset = 4
    // Descriptor flags (§2.6.5).
    static let flagNext: UInt16 = 1, flagWrite: UInt16 = 2

    /// How many descriptors the queue has (the device fixes it).
    let size: Int
    /// The queue's memory, and its physical address for the device.
    private let memory: UnsafeMutableRawPointer
    let physicalAddress: UInt64
    private let availableOffset: Int
    /// Where the used ring starts in the queue's memory.
    let usedOffset: Int

    /// The descriptor after each one, in its chain or on the free list: the driver's own
    /// copy, so that freeing a chain never follows a link the device could have changed.
    private var links: [UInt16]
    /// Per head: how many descriptors its chain holds (0: not a head), and whether the device
    /// has it (offered, not yet in the used ring).
    private var chainLengths: [UInt8]
    private var withDevice: [Bool]
    private var freeHead: Int
    /// Descriptors on the free list.
    private(set) var freeCount: Int
    /// Chains the device holds now.
    private(set) var inFlight = 0
    /// The available ring's `idx` as the driver last wrote it, and the used ring's `idx` up
    /// to which it has read.
    private var nextAvailable: UInt16 = 0
    private var nextUsed: UInt16 = 0

    /// A queue of `size` descriptors (a power of two up to 32768, as the device said).
    init(size: Int) {
        precondition(size > 0 && size & (size - 1) == 0 && size <= VirtioLegacyInterface.largestQueueSize)
        self.size = size
        let align = VirtioLegacyInterface.queueAlignment
        availableOffset = Self.descriptorSize * size
        let availableEnd = availableOffset + Self.ringHeaderSize + Self.availableSlotSize * size + Self.ringEventSize
        usedOffset = (availableEnd + align - 1) / align * align
        let usedEnd = usedOffset + Self.ringHeaderSize + Self.usedSlotSize * size + Self.ringEventSize
        (memory, physicalAddress) = DeviceMemory.allocate(byteCount: (usedEnd + align - 1) / align * align)
        links = (0..<size).map { UInt16(truncatingIfNeeded: $0 + 1) }
        chainLengths = Array(repeating: 0, count: size)
        withDevice = Array(repeating: false, count: size)
        freeHead = 0
        freeCount = size
    }

    deinit { memory.deallocate() }

    /// The head the next ``offer(_:)`` takes, if a descriptor is free: a request's own
    /// memory (its header and status) can be chosen by it before the chain is offered.
    var nextHead: UInt16? { freeCount > 0 ? UInt16(freeHead) : nil }

    /// Puts a chain of `segments` in the descriptor table and offers it to the device (the
    /// caller then notifies it). Returns the chain's head, or `nil` when too few descriptors
    /// are free.
    func offer(_ segments: [Segment]) -> UInt16? {
        precondition(!segments.isEmpty && segments.count <= Int(UInt8.max))
        guard freeCount >= segments.count else { return nil }
        let head = freeHead
        var index = head
        for (position, segment) in segments.enumerated() {
            let last = position == segments.count - 1
            let descriptor = memory + Self.descriptorSize * index
            descriptor.storeBytes(of: segment.physicalAddress.littleEndian, as: UInt64.self)
            descriptor.storeBytes(of: segment.length.littleEndian, toByteOffset: Self.descriptorLengthOffset, as: UInt32.self)
            let flags = (last ? 0 : Self.flagNext) | (segment.deviceWrites ? Self.flagWrite : 0)
            descriptor.storeBytes(of: flags.littleEndian, toByteOffset: Self.descriptorFlagsOffset, as: UInt16.self)
            descriptor.storeBytes(of: (last ? 0 : links[index]).littleEndian, toByteOffset: Self.descriptorNextOffset, as: UInt16.self)
            if !last { index = Int(links[index]) }
        }
        freeHead = Int(links[index])
        freeCount -= segments.count
        chainLengths[head] = UInt8(segments.count)
        withDevice[head] = true
        inFlight += 1

        // The slot, then the index that makes it visible: the device must see the
        // descriptors and the slot before it sees the new index (§2.6.13).
        let slot = memory + availableOffset + Self.ringHeaderSize + Self.availableSlotSize * Int(nextAvailable & UInt16(size - 1))
        slot.storeBytes(of: UInt16(head).littleEndian, as: UInt16.self)
        memory_barrier()
        nextAvailable &+= 1
        volatile_store16(memory + availableOffset + Self.ringIndexOffset, nextAvailable.littleEndian)
        memory_barrier()
        return UInt16(head)
    }

    /// Whether the device has added entries to the used ring that ``takeCompletion()`` has
    /// not taken yet.
    var hasUnreadCompletions: Bool {
        UInt16(littleEndian: volatile_load16(memory + usedOffset + Self.ringIndexOffset)) != nextUsed
    }

    /// The next entry of the used ring, checked; `nil` when the device has added none.
    func takeCompletion() -> Completion? {
        let deviceIndex = UInt16(littleEndian: volatile_load16(memory + usedOffset + Self.ringIndexOffset))
        guard deviceIndex != nextUsed else { return nil }
        let claimed = Int(deviceIndex &- nextUsed)
        if claimed > inFlight {
            // Believing it would mean reading slots the device never filled for us.
            nextUsed = deviceIndex
            return .overrun(claimed: claimed, inFlight: inFlight)
        }
        // The index, then the slot it covers (loads are not reordered on x86; the volatile
        // loads keep the compiler from doing it).
        let slot = memory + usedOffset + Self.ringHeaderSize + Self.usedSlotSize * Int(nextUsed & UInt16(size - 1))
        nextUsed &+= 1
        let id = UInt32(littleEndian: volatile_load32(slot))
        let length = UInt32(littleEndian: volatile_load32(slot + Self.usedLengthOffset))
        guard id < UInt32(size), withDevice[Int(id)] else { return .bogus(id: id) }
        withDevice[Int(id)] = false
        inFlight -= 1
        return .done(head: UInt16(id), length: length)
    }

    /// Gives back every chain the device holds, as if it had completed them all: for a
    /// device that was reset or given up on (it no longer reads the queue). Returns their
    /// heads.
    func reclaimAll() -> [UInt16] {
        var heads: [UInt16] = []
        for head in 0..<size where withDevice[head] {
            withDevice[head] = false
            heads.append(UInt16(head))
        }
        inFlight = 0
        return heads
    }

    /// Puts the chain at `head`, completed and read, back on the free list.
    func release(_ head: UInt16) {
        let count = Int(chainLengths[Int(head)])
        precondition(count > 0 && !withDevice[Int(head)], "releasing a chain that is not done")
        var last = Int(head)
        for _ in 1..<count { last = Int(links[last]) }
        links[last] = UInt16(truncatingIfNeeded: freeHead)
        freeHead = Int(head)
        freeCount += count
        chainLengths[Int(head)] = 0
    }
}
