import X86_64Support

/// Finding the disk and starting it.
///
/// The driver looks for a virtio block device on the PCI bus (PCI.swift) and sets it up in
/// the order the virtio specification fixes for a device with the legacy interface (virtio
/// 1.1 §3.1.1, §3.1.2): reset; ACKNOWLEDGE (the guest noticed it); DRIVER (the guest can
/// drive it); the features, of which the driver accepts only the ones it uses (a legacy
/// device has no FEATURES_OK step); the device's own set-up (the request queue, whose size
/// the device fixes, and its capacity); DRIVER_OK, after which the device serves requests.
///
/// A machine without a disk, or with one the driver cannot use (only the modern interface,
/// no queue, less than one block), has no disk: the log says why, and the kernel goes on.
extension VirtioBlockDevice {
    /// The machine's disk, started; `nil` (and the reason in the log) when there is none the
    /// driver can use.
    static func attach() -> VirtioBlockDevice? {
        guard let function = PCIFunction.first(where: { function in
            function.vendorID == vendorID && (function.deviceID == transitionalDeviceID || function.deviceID == modernDeviceID)
        }) else {
            log("disk: none (no virtio block device on the PCI bus)")
            return nil
        }
        let name = "the virtio block device at \(function.location)"
        guard function.deviceID == transitionalDeviceID else {
            log("disk: none usable: \(name) offers only the modern interface, and Apus drives the legacy one")
            return nil
        }
        guard let port = function.ioPorts(bar: 0) else {
            log("disk: none usable: \(name) has no I/O ports in BAR 0")
            return nil
        }
        function.enable([.ioSpace, .busMaster])
        let registers = VirtioLegacyInterface(base: port)
        guard registers.reset() else {
            log("disk: none usable: \(name) does not reset")
            return nil
        }
        registers.add(.acknowledge)
        registers.add(.driver)
        let features = registers.deviceFeatures & (featureFlush | featureReadOnly)
        registers.accept(features: features)

        let queueSize = registers.queueSize(requestQueue)
        guard queueSize > 0, queueSize & (queueSize - 1) == 0, queueSize <= VirtioLegacyInterface.largestQueueSize else {
            registers.add(.failed)
            log("disk: none usable: \(name) has a request queue of \(queueSize) descriptors")
            return nil
        }
        guard let capacity = registers.configuration64(capacityOffset) else {
            registers.add(.failed)
            log("disk: none usable: \(name) gives a different capacity at every read")
            return nil
        }
        let blockCount = capacity / sectorsPerBlock
        guard blockCount > 0 else {
            registers.add(.failed)
            log("disk: none usable: \(name) holds \(capacity) sectors, less than one block")
            return nil
        }
        // The firmware's line (an 8259 number) arrives at the I/O APIC on the GSI the MADT
        // gives it, with the MADT's polarity and trigger (PCI's are level-triggered).
        let line = function.interruptLine.flatMap { $0 < InterruptController.lineCount ? $0 : nil }
        let vector = line.flatMap { DeviceInterrupts.vector(forLine: $0) }
        let device = VirtioBlockDevice(registers: registers, queueSize: queueSize, blockCount: blockCount, features: features,
                                       interruptVector: vector)
        registers.add(.driverOK)
        if registers.status.contains(.deviceNeedsReset) {
            // The device must let go of the queue before its memory goes with the driver.
            registers.reset()
            registers.add(.failed)
            log("disk: none usable: \(name) refused the set-up")
            return nil
        }
        if let line, vector != nil { DeviceInterrupts.route(line: line) }

        let leftover = capacity % sectorsPerBlock
        let interrupt = line.flatMap { line in vector.map { "IRQ \(line), vector \($0) through the I/O APIC" } } ?? "no interrupt line: polled"
        let unused = leftover == 0 ? "" : " and \(leftover) sectors too few for a block, unused"
        let writes = device.hasWriteCache ? "a write cache (flushed by FLUSH)" : "writes through"
        let readOnly = device.readOnly ? ", read-only" : ""
        log("disk: virtio block device at \(function.location) (I/O ports \(hexadecimal(UInt64(port))), \(interrupt)): \(blockCount) blocks (\(blockCount * UInt64(BlockGeometry.blockSize) >> 10) KiB)\(unused), a queue of \(queueSize), \(writes)\(readOnly)")
        return device
    }
}

extension Kernel {
    /// The machine's disk, found at boot; `nil` when it has none.
    nonisolated(unsafe) static var disk: VirtioBlockDevice?
}
