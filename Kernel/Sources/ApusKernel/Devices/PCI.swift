import X86_64Support

/// PCI: how the kernel finds the devices of the machine and sets them up.
///
/// Every PCI *function* (a device, or one of up to eight parts of a multi-function device)
/// has 256 bytes of **configuration space**: registers that say who made it and what it is
/// (vendor, device, class), where its own registers are (the base address registers, BARs),
/// which interrupt line it raises, and switches the kernel turns on (whether it answers I/O
/// or memory accesses, whether it may reach RAM on its own). A full firmware (SeaBIOS) has
/// already given each BAR an address and each function an interrupt line, and the kernel
/// reads them; a minimal one (qboot, whose boot costs QEMU 40 % less) gives none, and the
/// kernel gives the I/O BAR it needs ports of its own (``ioPorts(bar:)``).
///
/// The PC reaches configuration space through two I/O ports, *configuration mechanism #1*
/// (PCI Local Bus Specification 3.0 §3.2.2.3.2): write the register's address to
/// CONFIG_ADDRESS (0xCF8), then read or write the 32-bit register at CONFIG_DATA (0xCFC), or a
/// 16-bit half of it at 0xCFC + 2. Nothing answers for an empty slot: its vendor ID reads as
/// 0xFFFF (§6.2.1).
///
/// The kernel walks the tree as the firmware built it: every device of bus 0, the other
/// functions of a multi-function device, and the bus behind each PCI-to-PCI bridge.
struct PCIFunction {
    let bus: UInt8
    let device: UInt8
    let function: UInt8

    // MARK: - Configuration mechanism #1 (§3.2.2.3.2)

    static let configurationAddressPort: UInt16 = 0xCF8
    static let configurationDataPort: UInt16 = 0xCFC
    /// CONFIG_ADDRESS bit 31: the access goes to configuration space.
    static let enableBit: UInt32 = 1 << 31

    /// The CONFIG_ADDRESS value for the 32-bit register holding byte `offset`: bus in bits
    /// 23–16, device in 15–11, function in 10–8, the register's offset in 7–2.
    private func address(_ offset: Int) -> UInt32 {
        Self.enableBit | UInt32(bus) << 16 | UInt32(device) << 11 | UInt32(function) << 8 | UInt32(offset & 0xFC)
    }

    func read32(_ offset: Int) -> UInt32 {
        outl(Self.configurationAddressPort, address(offset))
        return inl(Self.configurationDataPort)
    }

    func read16(_ offset: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: read32(offset) >> UInt32(8 * (offset & 2)))
    }

    func write32(_ offset: Int, _ value: UInt32) {
        outl(Self.configurationAddressPort, address(offset))
        outl(Self.configurationDataPort, value)
    }

    func read8(_ offset: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: read32(offset) >> UInt32(8 * (offset & 3)))
    }

    /// Writes the 16-bit register at `offset` alone (a 32-bit write would also write its
    /// neighbour, and the status register beside the command register clears the bits
    /// written as 1).
    func write16(_ offset: Int, _ value: UInt16) {
        outl(Self.configurationAddressPort, address(offset))
        outw(Self.configurationDataPort + UInt16(offset & 2), value)
    }

    // MARK: - The configuration header (§6.1, header type 0; bridges: type 1)

    static let vendorIDOffset = 0x00, deviceIDOffset = 0x02, commandOffset = 0x04, revisionIDOffset = 0x08
    static let headerTypeOffset = 0x0E, firstBAROffset = 0x10, subsystemIDOffset = 0x2E
    static let interruptLineOffset = 0x3C, interruptPinOffset = 0x3D
    /// A PCI-to-PCI bridge's secondary bus number (PCI-to-PCI Bridge Architecture
    /// Specification 1.2 §3.2.5.4): the bus behind it.
    static let secondaryBusOffset = 0x19
    /// The vendor ID no vendor has: an empty slot (§6.2.1).
    static let noVendor: UInt16 = 0xFFFF
    /// Header type bit 7: the device has functions 1–7 too (§6.2.1).
    static let multiFunctionBit: UInt8 = 0x80
    static let headerLayoutMask: UInt8 = 0x7F
    static let bridgeHeaderLayout: UInt8 = 1
    static let functionsPerDevice: UInt8 = 8
    static let devicesPerBus: UInt8 = 32
    /// The interrupt line value that means "not connected" on a PC (§6.2.4).
    static let noInterruptLine: UInt8 = 0xFF

    var vendorID: UInt16 { read16(Self.vendorIDOffset) }
    var deviceID: UInt16 { read16(Self.deviceIDOffset) }
    var revisionID: UInt8 { read8(Self.revisionIDOffset) }
    var subsystemID: UInt16 { read16(Self.subsystemIDOffset) }
    var headerType: UInt8 { read8(Self.headerTypeOffset) }
    /// The 8259 line the firmware routed the function's interrupt pin to, if any.
    var interruptLine: UInt8? {
        let line = read8(Self.interruptLineOffset)
        return read8(Self.interruptPinOffset) == 0 || line == Self.noInterruptLine ? nil : line
    }

    /// The first port of I/O BAR `index`: the firmware's, or, when it left the BAR without
    /// ports, a range the kernel chooses above every port another function decodes; `nil` when
    /// the BAR is not an I/O BAR or no room is left.
    ///
    /// Sizing (§6.2.5.1): with the function's decoding off, all ones are written to the BAR;
    /// the bits that read back as zero are the ones the function ignores, so the range is
    /// `~readback + 1` ports long, and its start must be a multiple of that.
    func ioPorts(bar index: Int) -> UInt16? {
        let offset = Self.firstBAROffset + 4 * index
        let raw = read32(offset)
        guard raw & PCIBaseAddress.ioSpaceBit != 0 else { return nil }
        if case .io(let port) = PCIBaseAddress(raw) { return port }
        let command = read16(Self.commandOffset)
        write16(Self.commandOffset, command & ~PCICommand.ioSpace.rawValue)
        write32(offset, UInt32.max)
        let length = (~(read32(offset) & PCIBaseAddress.ioAddressMask) & 0xFFFF) + 1
        let start = Self.firstFreePort(aligned: length, above: Self.firstPCIPort)
        write32(offset, start.map { UInt32($0) } ?? 0)
        write16(Self.commandOffset, command)
        return start
    }

    /// Where a PC's firmware starts the I/O ports it gives PCI functions: below are the
    /// legacy devices (the 8259s, the PIT, the serial ports, the debug consoles, ACPI's).
    static let firstPCIPort: UInt32 = 0xC000

    /// The first multiple of `length` at or above `floor` past the I/O BARs of every function.
    private static func firstFreePort(aligned length: UInt32, above floor: UInt32) -> UInt16? {
        var end = floor
        _ = first { function in
            let bars = function.headerType & headerLayoutMask == bridgeHeaderLayout ? 2 : 6
            for index in 0..<bars {
                let raw = function.read32(firstBAROffset + 4 * index)
                guard case .io(let port) = PCIBaseAddress(raw) else { continue }
                // The firmware's ranges are not sized again: a BAR decodes at most 256 ports.
                end = max(end, UInt32(port) + 256)
            }
            return false
        }
        let start = (end + length - 1) / length * length
        return start + length <= 0x1_0000 ? UInt16(start) : nil
    }

    /// Turns on `bits` of the command register (§6.2.2) and clears Interrupt Disable, so that
    /// the function's interrupt pin works.
    func enable(_ bits: PCICommand) {
        var command = PCICommand(rawValue: read16(Self.commandOffset))
        command.formUnion(bits)
        command.remove(.interruptDisable)
        write16(Self.commandOffset, command.rawValue)
    }

    /// `bus:device.function`, as `lspci` writes it.
    var location: String {
        "\(twoDigits(bus)):\(twoDigits(device)).\(function)"
    }

    /// Two hexadecimal digits (built from bytes: the kernel links no Unicode tables).
    private func twoDigits(_ value: UInt8) -> String {
        let digits = [value >> 4, value & 0xF].map { $0 < 10 ? UInt8(ascii: "0") + $0 : UInt8(ascii: "a") + $0 - 10 }
        return String(decoding: digits, as: UTF8.self)
    }

    // MARK: - Enumeration

    /// The first function, on any bus the firmware set up, for which `matches` holds.
    static func first(where matches: (PCIFunction) -> Bool) -> PCIFunction? {
        var buses: [UInt8] = [0]
        var visited: [UInt8] = []
        while let bus = buses.popLast() {
            guard !visited.contains(bus) else { continue } // a bridge set up wrong: no loop
            visited.append(bus)
            for device in 0..<devicesPerBus {
                let first = PCIFunction(bus: bus, device: device, function: 0)
                guard first.vendorID != noVendor else { continue }
                let count = first.headerType & multiFunctionBit != 0 ? functionsPerDevice : 1
                for function in 0..<count {
                    let candidate = PCIFunction(bus: bus, device: device, function: function)
                    guard candidate.vendorID != noVendor else { continue }
                    if matches(candidate) { return candidate }
                    if candidate.headerType & headerLayoutMask == bridgeHeaderLayout {
                        buses.append(candidate.read8(secondaryBusOffset))
                    }
                }
            }
        }
        return nil
    }
}

/// The bits of the command register the kernel sets (PCI Local Bus Specification 3.0 §6.2.2).
struct PCICommand: OptionSet {
    let rawValue: UInt16
    /// The function answers accesses to its I/O BARs.
    static let ioSpace = PCICommand(rawValue: 1 << 0)
    /// The function answers accesses to its memory BARs.
    static let memorySpace = PCICommand(rawValue: 1 << 1)
    /// The function may read and write RAM on its own (DMA): a virtio device reads its rings
    /// and the data there.
    static let busMaster = PCICommand(rawValue: 1 << 2)
    /// Set: the function may not raise its INTx interrupt.
    static let interruptDisable = PCICommand(rawValue: 1 << 10)
}

/// A base address register, decoded (PCI Local Bus Specification 3.0 §6.2.5.1): bit 0 tells
/// I/O space (the address in bits 31–2) from memory (the address in bits 31–4; bits 2–1 the
/// type, where 2 means a 64-bit address whose high half is the next BAR).
enum PCIBaseAddress: Equatable {
    case io(port: UInt16)
    case memory(address: UInt32, sixtyFourBit: Bool)
    case unused

    static let ioSpaceBit: UInt32 = 1 << 0
    static let ioAddressMask: UInt32 = ~0x3
    static let memoryAddressMask: UInt32 = ~0xF
    static let memoryTypeShift: UInt32 = 1, memoryTypeMask: UInt32 = 0x3, memoryType64Bit: UInt32 = 2

    init(_ raw: UInt32) {
        if raw & Self.ioSpaceBit != 0 {
            let port = raw & Self.ioAddressMask
            // A PC's I/O space is 64 KiB; anything else is not a port the CPU can reach.
            self = port == 0 || port > UInt32(UInt16.max) ? .unused : .io(port: UInt16(port))
        } else {
            let address = raw & Self.memoryAddressMask
            self = address == 0 ? .unused
                : .memory(address: address, sixtyFourBit: raw >> Self.memoryTypeShift & Self.memoryTypeMask == Self.memoryType64Bit)
        }
    }
}
