import ApusCore
import Testing

/// The user copies refuse exactly what `accessOK` refuses, and never touch memory when they
/// refuse.
@Suite("User copies and page faults")
struct UserCopyTests {
    @Test func copiesRoundTripAcrossPagesAndMappings() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x2000, protection: [.read, .write], backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x1000_2000), length: 0x2000, protection: [.read, .write], backing: .anonymous)
            let bytes = (0..<0x2100).map { UInt8(truncatingIfNeeded: $0 * 31) }
            try writeUser(&mm, bytes, at: 0x1000_0F80)
            expectEqual(try userBytes(&mm, at: 0x1000_0F80, count: bytes.count), bytes)
            // The bytes really are in the frames behind those pages.
            expectEqual(try machine.bytes(at: 0x1000_2000, count: 16, in: mm.pageTable), Array(bytes[0x1080..<0x1090]))
        }
    }

    @Test func aCheckedRangeIsWhatAccessOKAcceptsAndItsPrefixesStayInside() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x2000, protection: [.read, .write], backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x1000_2000), length: 0x1000, protection: .read, backing: .anonymous)
            #expect(throws: KernelError.badAddress) { try mm.checkedUserRange(VirtualAddress(0x1000_1FFE), count: 4, for: .write) }
            #expect(throws: KernelError.badAddress) { try mm.checkedUserRange(VirtualAddress(0x1000_3000), count: 0, for: .read) }
            #expect(throws: KernelError.badAddress) { try mm.checkedUserRange(VirtualAddress(0x1000_0000), count: .max, for: .read) }
            let range = try mm.checkedUserRange(VirtualAddress(0x1000_0FF0), count: 0x20, for: .write)
            #expect(range.prefix(8).count == 8 && range.prefix(100).count == 0x20 && range.prefix(-1).count == 0)
            var written = 0
            try mm.withWritableUserBytes(in: range.prefix(0x18)) { piece in
                for index in 0..<piece.count { piece[index] = UInt8(written + index + 1) }
                written += piece.count
                return true
            }
            expectEqual(written, 0x18)
            #expect(try userBytes(&mm, at: 0x1000_0FF0, count: 0x20) == (1...0x18).map(UInt8.init) + [UInt8](repeating: 0, count: 8),
                    "across the page line, and not past the prefix")
            let readable = try mm.checkedUserRange(VirtualAddress(0x1000_2000), count: 16, for: .read)
            var seen = 0
            try mm.withUserBytes(in: readable) { piece in seen += piece.count; return true }
            expectEqual(seen, 16)
        }
    }

    @Test func copyOutToReadOnlyMemoryIsBadAddressAndWritesNothing() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x1000_1000), length: 0x1000, protection: .read, backing: .anonymous)
            #expect(throws: KernelError.badAddress) { try writeUser(&mm, [1, 2, 3, 4], at: 0x1000_0FFE) }
            expectEqual(try userBytes(&mm, at: 0x1000_0FFE, count: 4), [0, 0, 0, 0], "not even the writable half was written")
        }
    }

    @Test func copyInFromUnmappedMemoryIsBadAddressAndFillsNothing() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: .read, backing: .anonymous)
            var buffer = [UInt8](repeating: 0x55, count: 8)
            #expect(throws: KernelError.badAddress) {
                try buffer.withUnsafeMutableBytes { try mm.copyIn(from: VirtualAddress(0x1000_0FFC), into: $0) }
            }
            expectEqual(buffer, [UInt8](repeating: 0x55, count: 8))
        }
    }

    @Test func emptyCopiesStillNeedAValidPointer() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: .read, backing: .anonymous)
            expectEqual(try userBytes(&mm, at: 0x1000_0000, count: 0), [])
            #expect(throws: KernelError.badAddress) { try userBytes(&mm, at: 0x2000_0000, count: 0) }
            #expect(throws: KernelError.badAddress) { try writeUser(&mm, [], at: 0x1000_0000) }
            #expect(throws: KernelError.badAddress) { try writeUser(&mm, [], at: 0) }
        }
    }

    @Test(arguments: [0 as UInt64, 0xFFFF_8000_0000_0000, 0x0000_8000_0000_0000, 0x5000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF])
    func kernelAndInvalidPointersAreBadAddress(address: UInt64) throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            #expect(throws: KernelError.badAddress) { try userBytes(&mm, at: address, count: 1) }
            #expect(throws: KernelError.badAddress) { try writeUser(&mm, [1], at: address) }
            #expect(throws: KernelError.badAddress) { try mm.copyInCString(at: VirtualAddress(address), maximumLength: 10) }
            #expect(throws: KernelError.badAddress) { try mm.userPage(at: VirtualAddress(address), for: .read) }
        }
    }

    @Test func stringsAreReadAcrossPagesUpToTheirNul() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x2000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&mm, Array("hello.txt".utf8) + [0], at: 0x1000_0FFC)
            expectEqual(try mm.copyInCString(at: VirtualAddress(0x1000_0FFC), maximumLength: 64), Array("hello.txt".utf8))
            expectEqual(try mm.copyInCString(at: VirtualAddress(0x1000_1000), maximumLength: 64), Array("o.txt".utf8))
        }
    }

    @Test func stringRunningIntoAnUnmappedPageIsBadAddress() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: .read, backing: .anonymous)
            try mm.munmap(VirtualAddress(0x1000_0000))
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&mm, [UInt8](repeating: 0x41, count: 4), at: 0x1000_0FFC)
            #expect(throws: KernelError.badAddress) { try mm.copyInCString(at: VirtualAddress(0x1000_0FFC), maximumLength: 64) }
            try writeUser(&mm, [0x41, 0x41, 0x41, 0], at: 0x1000_0FFC)
            expectEqual(try mm.copyInCString(at: VirtualAddress(0x1000_0FFC), maximumLength: 64), [0x41, 0x41, 0x41])
        }
    }

    @Test func stringLongerThanTheLimitIsNameTooLong() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&mm, [UInt8](repeating: 0x41, count: 10) + [0], at: 0x1000_0000)
            expectEqual(try mm.copyInCString(at: VirtualAddress(0x1000_0000), maximumLength: 10).count, 10)
            #expect(throws: KernelError.nameTooLong) { try mm.copyInCString(at: VirtualAddress(0x1000_0000), maximumLength: 9) }
        }
    }

    @Test func faultsOutsideOrAgainstARegionAreSegmentationFaultsWithTheirCause() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: .read, backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x2000_0000), length: 0x1000, protection: [.read, .write, .executable], backing: .anonymous)
            expectEqual(mm.resolveAccess(at: VirtualAddress(0x3000_0000), access: .read), .segmentationFault(.notPresent))
            expectEqual(mm.resolveAccess(at: VirtualAddress(0x3000_0000), access: .write), .segmentationFault(.notPresent))
            expectEqual(mm.resolveAccess(at: VirtualAddress(0x1000_0000), access: .write), .segmentationFault(.writeToReadOnly))
            expectEqual(mm.resolveAccess(at: VirtualAddress(0x1000_0000), access: .execute), .segmentationFault(.executeNonExecutable))
            expectEqual(mm.resolveAccess(at: VirtualAddress(0xFFFF_8000_0000_0000), access: .read), .segmentationFault(.notPresent))
            expectEqual(mm.resolveAccess(at: VirtualAddress(0x5000_0000_0000), access: .write), .segmentationFault(.notPresent))
        }
    }

    @Test func faultOnAPageThatAlreadyServesTheAccessIsResolved() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x2000_0000), length: 0x1000, protection: [.read, .write, .executable], backing: .anonymous)
            let before = machine.memory.invalidations
            expectEqual(mm.resolveAccess(at: VirtualAddress(0x2000_0010), access: .write), .resolved)
            expectEqual(mm.resolveAccess(at: VirtualAddress(0x2000_0010), access: .execute), .resolved)
            #expect(machine.memory.invalidations == before + 2, "the stale translation is dropped")
        }
    }

    @Test func faultCausesNameWhatHappened() {
        expectEqual(FaultCause.notPresent.description, "access to a non-present page")
        expectEqual(FaultCause.writeToReadOnly.description, "write to a read-only page")
        expectEqual(FaultCause.executeNonExecutable.description, "execution of a non-executable page")
    }
}
