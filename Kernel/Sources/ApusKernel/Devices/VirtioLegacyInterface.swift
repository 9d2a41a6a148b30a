import X86_64Support

/// The *legacy* register block of a virtio PCI device: how the kernel talks to a virtio
/// device, whatever kind it is (block, network, console).
///
/// Virtio (the OASIS "Virtual I/O Device" specification, 1.1 here) is the family of devices
/// a hypervisor offers to guests that know they are guests: simple, with no timing quirks to
/// emulate. A device and its driver share **virtqueues** in the guest's RAM (Virtqueue.swift);
/// the few registers below are only for setting up, for saying "look at the queue" and for
/// acknowledging interrupts.
///
/// A *transitional* device (PCI device ID 0x1000–0x103F, revision 0: §4.1.2) offers the
/// original interface beside the modern one: every register in one I/O-port BAR (BAR 0).
/// Apus uses it because it needs no memory-mapped registers: the modern interface puts its
/// registers in memory BARs, which the kernel would have to map uncached, and the kernel's
/// page tables map RAM only. The legacy interface has two limits, both harmless here: the
/// device fixes the queue size, and a queue must be physically contiguous and page-aligned
/// (its address is given as a page number).
///
/// The registers (§4.1.4.8, "Legacy Interfaces: A Note on PCI Device Layout"), offsets from
/// BAR 0; the device's own configuration follows at 20 while MSI-X is off (it stays off: the
/// device interrupts on its INTx pin).
struct VirtioLegacyInterface {
    let base: UInt16

    static let deviceFeaturesOffset: UInt16 = 0 // 32 bits, read-only: the features the device offers
    static let driverFeaturesOffset: UInt16 = 4 // 32 bits: the features the driver accepts
    static let queueAddressOffset: UInt16 = 8 // 32 bits: the selected queue's physical page number
    static let queueSizeOffset: UInt16 = 12 // 16 bits, read-only: the selected queue's size
    static let queueSelectOffset: UInt16 = 14 // 16 bits: which queue the two above are about
    static let queueNotifyOffset: UInt16 = 16 // 16 bits: "queue N has new buffers"
    static let deviceStatusOffset: UInt16 = 18 // 8 bits: the initialisation's progress
    static let interruptStatusOffset: UInt16 = 19 // 8 bits: why the device interrupted; reading clears it
    static let deviceConfigurationOffset: UInt16 = 20
    /// The queue address register counts pages of this size (§4.1.4.8).
    static let queueAddressShift: UInt64 = 12
    /// The ring alignment of a legacy queue: the used ring starts on a page (§2.6.2).
    static let queueAlignment = 4096
    /// The largest queue a legacy device may have (§2.6: a power of two up to 32768).
    static let largestQueueSize = 32768

    /// Device status bits (§2.1): the steps of initialisation, each set on top of the ones
    /// before, and the device's own cries for help.
    struct DeviceStatus: OptionSet {
        let rawValue: UInt8
        /// The guest noticed the device.
        static let acknowledge = DeviceStatus(rawValue: 1)
        /// The guest knows how to drive it.
        static let driver = DeviceStatus(rawValue: 2)
        /// The driver is set up: the device may go.
        static let driverOK = DeviceStatus(rawValue: 4)
        /// The feature negotiation is over (modern devices only: a legacy device has no such step, §3.1.2).
        static let featuresOK = DeviceStatus(rawValue: 8)
        /// The device hit an error it cannot recover from without a reset.
        static let deviceNeedsReset = DeviceStatus(rawValue: 64)
        /// The driver gave up on the device.
        static let failed = DeviceStatus(rawValue: 128)
    }

    /// The interrupt status bits (§4.1.4.5): a queue has new used buffers, or the device's
    /// configuration changed. Reading the register clears it and lowers the INTx line.
    struct InterruptStatus: OptionSet {
        let rawValue: UInt8
        static let queue = InterruptStatus(rawValue: 1 << 0)
        static let configurationChange = InterruptStatus(rawValue: 1 << 1)
    }

    /// How often `reset` reads the status back before it gives up on the device.
    static let resetPolls = 100_000

    /// Writing 0 to the status resets the device (§4.1.4.8): it forgets its queues and
    /// features and stops using the guest's memory. Reading the status back waits for that;
    /// false when the device never reads as reset.
    @discardableResult
    func reset() -> Bool {
        outb(base + Self.deviceStatusOffset, 0)
        for _ in 0..<Self.resetPolls {
            if inb(base + Self.deviceStatusOffset) == 0 { return true }
            cpu_pause()
        }
        return false
    }

    var status: DeviceStatus { DeviceStatus(rawValue: inb(base + Self.deviceStatusOffset)) }

    /// Adds `step` to the status (the steps accumulate: §3.1.1).
    func add(_ step: DeviceStatus) {
        outb(base + Self.deviceStatusOffset, status.union(step).rawValue)
    }

    var deviceFeatures: UInt32 { inl(base + Self.deviceFeaturesOffset) }

    func accept(features: UInt32) {
        outl(base + Self.driverFeaturesOffset, features)
    }

    /// The size of queue `index`, fixed by the device; 0 when the queue does not exist.
    func queueSize(_ index: UInt16) -> Int {
        outw(base + Self.queueSelectOffset, index)
        return Int(inw(base + Self.queueSizeOffset))
    }

    /// Gives queue `index` its memory: physically contiguous, page-aligned, laid out for the
    /// queue's size (Virtqueue.swift). Address 0 takes it back.
    func setQueue(_ index: UInt16, physicalAddress: UInt64) {
        outw(base + Self.queueSelectOffset, index)
        outl(base + Self.queueAddressOffset, UInt32(truncatingIfNeeded: physicalAddress >> Self.queueAddressShift))
    }

    /// Tells the device that queue `index` has new available buffers.
    func notify(queue index: UInt16) {
        outw(base + Self.queueNotifyOffset, index)
    }

    /// Why the device interrupted, read and cleared in one go.
    func takeInterruptStatus() -> InterruptStatus {
        InterruptStatus(rawValue: inb(base + Self.interruptStatusOffset))
    }

    /// The device-specific configuration's 32-bit field at `offset`.
    func configuration32(_ offset: UInt16) -> UInt32 {
        inl(base + Self.deviceConfigurationOffset + offset)
    }

    /// How many times `configuration64` reads a field before it gives up.
    static let configurationReads = 16

    /// The device-specific configuration's 64-bit field at `offset`, read as two halves until
    /// two reads in a row agree (the legacy interface has no generation counter to tell a
    /// field read while the device changed it: virtio 1.1 §2.4.4); `nil` when none did.
    func configuration64(_ offset: UInt16) -> UInt64? {
        var last: UInt64?
        for _ in 0..<Self.configurationReads {
            let value = UInt64(configuration32(offset)) | UInt64(configuration32(offset + 4)) << 32
            if value == last { return value }
            last = value
        }
        return nil
    }
}
