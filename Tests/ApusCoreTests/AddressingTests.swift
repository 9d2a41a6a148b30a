import ApusCore
import Testing

@Suite("Addresses and the address-space layout")
struct AddressingTests {
    @Test func canonicalAddressesCopyBit47IntoTheTopBits() {
        #expect(VirtualAddress(0).isCanonical)
        #expect(VirtualAddress(0x0000_7FFF_FFFF_FFFF).isCanonical)
        #expect(!VirtualAddress(0x0000_8000_0000_0000).isCanonical)
        #expect(!VirtualAddress(0xFFFF_7FFF_FFFF_FFFF).isCanonical)
        #expect(VirtualAddress(0xFFFF_8000_0000_0000).isCanonical)
        #expect(VirtualAddress(0xFFFF_FFFF_FFFF_FFFF).isCanonical)
        #expect(!VirtualAddress(0x1234_0000_0000_0000).isCanonical)
    }

    @Test func pageAlignmentAndOffsets() {
        let address = VirtualAddress(0x40_1234)
        #expect(!address.isPageAligned)
        expectEqual(address.pageOffset, 0x234)
        expectEqual(address.pageBase, VirtualAddress(0x40_1000))
        #expect(VirtualAddress(0x40_1000).isPageAligned)
        #expect(PhysicalAddress(0x20_0000).isPageAligned)
        #expect(!PhysicalAddress(0x20_0008).isPageAligned)
    }

    @Test func tableIndicesAreNineBitsPerLevel() {
        let address = VirtualAddress(0x0000_7FFF_FFFF_F000)
        expectEqual(address.tableIndex(level: 4), 255)
        expectEqual(address.tableIndex(level: 3), 511)
        expectEqual(address.tableIndex(level: 2), 511)
        expectEqual(address.tableIndex(level: 1), 511)
        let kernel = VirtualAddress(0xFFFF_8000_0020_3000)
        expectEqual(kernel.tableIndex(level: 4), 256)
        expectEqual(kernel.tableIndex(level: 2), 1)
        expectEqual(kernel.tableIndex(level: 1), 3)
    }

    @Test func advancingPast2To64Fails() {
        expectEqual(VirtualAddress(UInt64.max).advanced(by: 1), nil)
        expectEqual(VirtualAddress(UInt64.max - 1).advanced(by: 1), VirtualAddress(UInt64.max))
        expectEqual(VirtualRange(start: VirtualAddress(0xFFFF_FFFF_FFFF_F000), length: 0x1000), nil)
        expectEqual(VirtualRange(pagesFrom: VirtualAddress(0x1000), length: UInt64.max), nil)
        expectEqual(VirtualRange(pagesFrom: VirtualAddress(0x1000), length: 1), VirtualRange(0x1000, pages: 1))
    }

    @Test func roundUpToPages() {
        expectEqual(PageGeometry.roundUp(0), 0)
        expectEqual(PageGeometry.roundUp(1), 0x1000)
        expectEqual(PageGeometry.roundUp(0x1000), 0x1000)
        expectEqual(PageGeometry.roundUp(0x1001), 0x2000)
        expectEqual(PageGeometry.roundUp(UInt64.max - 0xFFE), nil)
    }

    @Test func rangesOverlapOnlyWhenTheyShareAnAddress() {
        let range = VirtualRange(0x10_0000, pages: 2)
        #expect(range.overlaps(VirtualRange(0x10_1000, pages: 4)))
        #expect(!range.overlaps(VirtualRange(0x10_2000, pages: 1)))
        #expect(!range.overlaps(VirtualRange(0x0F_F000, pages: 1)))
        #expect(range.overlaps(VirtualRange(0x0F_F000, pages: 2)))
        expectEqual(Array(range.pages), [0x10_0000, 0x10_1000])
        expectEqual(range.pageCount, 2)
    }

    @Test func kernelWindowIsOneLowerHalfSlotAwayFromSlots0And255() {
        let window = AddressSpaceLayout.kernelWindow
        expectEqual(window.start, VirtualAddress(0x0000_5000_0000_0000))
        expectEqual(window.end, VirtualAddress(0x0000_5080_0000_0000))
        #expect(window.length == 512 << 30)
        expectEqual(window.start.tableIndex(level: 4), AddressSpaceLayout.kernelWindowSlot)
        #expect(AddressSpaceLayout.kernelWindowSlot != 0 && AddressSpaceLayout.kernelWindowSlot != 255)
        #expect(AddressSpaceLayout.kernelWindowSlot < AddressSpaceLayout.firstKernelSlot)
        #expect(AddressSpaceLayout.isSharedSlot(160) && AddressSpaceLayout.isSharedSlot(256) && AddressSpaceLayout.isSharedSlot(511))
        #expect(!AddressSpaceLayout.isSharedSlot(0) && !AddressSpaceLayout.isSharedSlot(255) && !AddressSpaceLayout.isSharedSlot(159))
    }

    @Test func programsMayUseTheUserHalfButNotTheHeapWindow() {
        #expect(AddressSpaceLayout.isAvailableToPrograms(VirtualRange(0, pages: 1)))
        #expect(AddressSpaceLayout.isAvailableToPrograms(VirtualRange(0x7FFF_FFFF_F000, pages: 1)))
        #expect(!AddressSpaceLayout.isAvailableToPrograms(VirtualRange(0x7FFF_FFFF_F000, pages: 2)))
        #expect(!AddressSpaceLayout.isAvailableToPrograms(VirtualRange(0x4FFF_FFFF_F000, pages: 2)))
        #expect(AddressSpaceLayout.isAvailableToPrograms(VirtualRange(0x4FFF_FFFF_F000, pages: 1)))
        #expect(AddressSpaceLayout.isAvailableToPrograms(VirtualRange(0x5080_0000_0000, pages: 1)))
        #expect(!AddressSpaceLayout.isAvailableToPrograms(VirtualRange(0xFFFF_8000_0000_0000, pages: 1)))
    }

    @Test func addressesPrintInHexadecimal() {
        expectEqual(VirtualAddress(0x401000).description, "0x401000")
        expectEqual(VirtualAddress(0).description, "0x0")
        expectEqual(PhysicalAddress(0xFFFF_FFFF_FFFF_FFFF).description, "0xffffffffffffffff")
        expectEqual(VirtualRange(0x1000, pages: 1).description, "[0x1000, 0x2000)")
        expectEqual(Permission([.read, .executable, .user]).description, "r-xu")
    }
}

@Suite("Kernel errors")
struct KernelErrorTests {
    @Test func codesAreTheOnesProgramsKnow() {
        let expected: [(KernelError, Int64)] = [
            (.operationNotPermitted, -1), (.noSuchEntry, -2), (.ioError, -5), (.noExec, -8),
            (.badFileDescriptor, -9), (.noMemory, -12), (.invalidAccess, -13), (.badAddress, -14),
            (.busy, -16), (.fileExist, -17), (.notDirectory, -20), (.isDirectory, -21),
            (.invalidArgument, -22), (.tooManyOpenFile, -24), (.noSpace, -28), (.brokenPipe, -32),
            (.nameTooLong, -36), (.noSuchSyscall, -38), (.directoryNotEmpty, -39),
        ]
        expectEqual(expected.count, KernelError.allCases.count)
        for (error, value) in expected {
            expectEqual(error.syscallReturnValue, value, "\(error)")
            expectEqual(KernelError(syscallReturnValue: value), error)
        }
    }

    @Test func everyCodeIsBelow0x100SoProgramsRecogniseIt() {
        for error in KernelError.allCases {
            let r = error.syscallReturnValue
            #expect(r < 0 && -r < 0x100)
        }
    }

    @Test func successValuesDecodeToNoError() {
        expectEqual(KernelError(syscallReturnValue: 0), nil)
        expectEqual(KernelError(syscallReturnValue: 0x1000_0000), nil)
        expectEqual(KernelError(syscallReturnValue: -3), nil)
        expectEqual(KernelError(syscallReturnValue: -0x100), nil)
    }

    @Test func namesMatchTheContract() {
        expectEqual(KernelError.badAddress.description, "BadAddress")
        expectEqual(KernelError.tooManyOpenFile.description, "TooManyOpenFile")
    }
}
