import ApusCore
import Testing

/// The page-fault error code, decoded bit by bit, and what the kernel does with a fault the
/// page table already allows (Intel SDM Vol. 3A §4.7).
@Suite("Page faults: the error code and faults the kernel cannot serve")
struct PageFaultTests {
    @Test func everyBitOfTheErrorCodeIsDecoded() {
        let code = PageFaultErrorCode(rawValue: 0x80FF)
        #expect(code.pageWasPresent)
        #expect(code.isWrite)
        #expect(code.isUserModeAccess)
        #expect(code.reservedBitSet)
        #expect(code.isInstructionFetch)
        #expect(code.isProtectionKeyViolation)
        #expect(code.isShadowStackAccess)
        expectEqual(code.description, "0x80ff (present, fetch, user, reserved bit, protection key, shadow stack, HLAT, SGX)")
        let none = PageFaultErrorCode(rawValue: 0)
        #expect(!none.pageWasPresent && !none.isWrite && !none.isUserModeAccess && !none.reservedBitSet)
        #expect(!none.isInstructionFetch && !none.isProtectionKeyViolation && !none.isShadowStackAccess)
        expectEqual(none.description, "0x0 (not present, read, supervisor)")
    }

    @Test(arguments: [
        (0x4 as UInt64, AccessKind.read), (0x5, .read), (0x6, .write), (0x7, .write), (0x14, .execute), (0x15, .execute),
    ])
    func theAccessIsAFetchAWriteOrElseARead(raw: UInt64, access: AccessKind) {
        expectEqual(PageFaultErrorCode(rawValue: raw).access, access)
        #expect(PageFaultErrorCode(rawValue: raw).isServable)
    }

    @Test(arguments: [
        0x0 as UInt64, 0x1, 0x3, // supervisor-mode accesses while the program ran (iretq under SMAP)
        0xC, 0xD, // a reserved bit
        0x24, 0x25, // a protection key
        0x44, 0x84, 0x8004, // shadow stack, HLAT, SGX
    ])
    func faultsNoPageTableChangeCanFixAreNotServable(raw: UInt64) {
        #expect(!PageFaultErrorCode(rawValue: raw).isServable)
    }

    @Test func anUnservableFaultEndsTheProcessWithItsCode() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            // What QEMU reports for iretq in ring 3 with SMAP: a supervisor read of a
            // present, readable user page.
            let supervisorRead = PageFaultErrorCode(rawValue: 0x1)
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x1000_0FF8), errorCode: supervisorRead), .segmentationFault(.unservable(supervisorRead)))
            let reserved = PageFaultErrorCode(rawValue: 0xD)
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x1000_0000), errorCode: reserved), .segmentationFault(.unservable(reserved)))
            expectEqual(FaultCause.unservable(supervisorRead).description, "a fault the kernel cannot serve, error code 0x1 (present, read, supervisor)")
        }
    }

    @Test func aFaultThePageTableAllowsIsRetriedOnceThenEndsTheProcess() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x2000, protection: [.read, .write], backing: .anonymous)
            let userRead = PageFaultErrorCode(rawValue: 0x5)
            let before = machine.memory.invalidations
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x1000_0010), errorCode: userRead), .resolved, "a stale TLB entry, once")
            #expect(machine.memory.invalidations == before + 1, "the stale translation is dropped")
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x1000_0020), errorCode: userRead), .segmentationFault(.repeated(userRead)),
                        "the same page again: retrying would loop forever")
            expectEqual(FaultCause.repeated(userRead).description, "the same fault again on a page that allows the access, error code 0x5 (present, read, user)")
        }
    }

    @Test func threadsFaultingOnOnePageAtOnceAreEachRetriedOnce() throws {
        // Three threads fault on a page that the first one's fault maps; the other two find
        // it mapped when their turn comes. Each is retried, none is taken for looping; a
        // thread that faults on it once more is.
        try withMachine { machine in
            var mm = try MmStruct(frames: machine.frames, pager: LazyPager())
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            let notPresentRead = PageFaultErrorCode(rawValue: 0x4)
            var threads = [StaleFaultMemory](repeating: StaleFaultMemory(), count: 3)
            for index in 0..<3 {
                expectEqual(mm.handlePageFault(at: VirtualAddress(0x1000_0008), errorCode: notPresentRead, remembering: &threads[index]), .resolved)
            }
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x1000_0008), errorCode: notPresentRead, remembering: &threads[2]), .segmentationFault(.repeated(notPresentRead)))
        }
    }

    @Test func aFaultElsewhereInBetweenStartsTheCountAgain() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x2000, protection: [.read, .write], backing: .anonymous)
            let userWrite = PageFaultErrorCode(rawValue: 0x7)
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x1000_0000), errorCode: userWrite), .resolved)
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x1000_1000), errorCode: userWrite), .resolved)
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x1000_0000), errorCode: userWrite), .resolved)
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x3000_0000), errorCode: userWrite), .segmentationFault(.notPresent))
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x1000_0000), errorCode: userWrite), .resolved)
        }
    }

    @Test func userFaultsAgainstTheRegionKeepTheirCause() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: .read, backing: .anonymous)
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x1000_0000), errorCode: PageFaultErrorCode(rawValue: 0x7)), .segmentationFault(.writeToReadOnly))
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x1000_0000), errorCode: PageFaultErrorCode(rawValue: 0x15)), .segmentationFault(.executeNonExecutable))
            expectEqual(mm.handlePageFault(at: VirtualAddress(0x2000_0000), errorCode: PageFaultErrorCode(rawValue: 0x4)), .segmentationFault(.notPresent))
        }
    }

    @Test(arguments: [
        (0x401000 as UInt64, ReturnAddressVerdict.sysret), (0x7FFF_FFFF_FFFF, .sysret), (0x0, .sysret),
        (0x8000_0000_0000, .endProcess), (0xFFFF_8000_0000_0000, .endProcess), (UInt64.max, .endProcess),
    ])
    func aSystemCallReturnsWithSysretOnlyToAUserAddress(rip: UInt64, way: ReturnAddressVerdict) {
        expectEqual(ReturnAddressVerdict(returningTo: rip), way)
    }
}
