import ApusCore
import Testing

/// A Linux program's file mapping past the end of its file (``FileBacking`` with
/// `faultsPastEnd`): the file's last page reads as zeros after its bytes, the pages after it
/// are no pages (a bus error for the program, EFAULT for a call), with either pager, and a
/// file that grew serves its new pages. KeOS's mapping reads zeros there (`MmapTests`).
@Suite("File mappings past the end of the file")
struct FileMappingEndTests {
    static let start: UInt64 = 0x1000_0000

    static func map<P: Pager>(_ mm: inout MmStruct<HostMemory, P>, _ file: TestFile, pages: UInt64, offset: UInt64 = 0) throws {
        _ = try mm.mmap(at: VirtualAddress(start), length: pages * 0x1000, protection: .read,
                        backing: .file(FileBacking(file: file, offset: offset, faultsPastEnd: true)))
    }

    static func check<P: Pager>(_ mm: inout MmStruct<HostMemory, P>, file: TestFile) throws {
        let bytes = try userBytes(&mm, at: start, count: 0x2000)
        #expect(Array(bytes[0..<0x1100]) == file.bytes && bytes[0x1100...].allSatisfy { $0 == 0 })
        #expect(throws: KernelError.badAddress) { try userBytes(&mm, at: start + 0x2000, count: 1) }
        let read = PageFaultErrorCode(rawValue: PageFaultErrorCode.userBit)
        expectEqual(mm.handlePageFault(at: VirtualAddress(start + 0x2010), errorCode: read), .segmentationFault(.pastEndOfFile))
        expectEqual(mm.handlePageFault(at: VirtualAddress(start + 0x3FFF), errorCode: read), .segmentationFault(.pastEndOfFile))
        file.bytes += [UInt8](repeating: 0x5A, count: 0x1000)
        #expect(try userBytes(&mm, at: start + 0x2000, count: 0x100).allSatisfy { $0 == 0x5A }, "the file grew")
        expectEqual(mm.handlePageFault(at: VirtualAddress(start + 0x3000), errorCode: read), .segmentationFault(.pastEndOfFile))
    }

    @Test func theLazyPagerServesTheFilesPagesAndRefusesThoseAfter() throws {
        try withMachine { machine in
            var mm = try MmStruct(frames: machine.frames, pager: LazyPager())
            let file = TestFile(patternedCount: 0x1100)
            try Self.map(&mm, file, pages: 4)
            try Self.check(&mm, file: file)
        }
    }

    @Test func theEagerPagerLeavesThePagesPastTheEndAbsent() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let file = TestFile(patternedCount: 0x1100)
            try Self.map(&mm, file, pages: 4)
            #expect(machine.frames.usedCount == 1 + 3 + 2, "tables and the file's two pages")
            try Self.check(&mm, file: file)
        }
    }

    @Test func theEndIsCountedFromTheMappingsOffsetAndSurvivesASplit() throws {
        try withMachine { machine in
            var mm = try MmStruct(frames: machine.frames, pager: LazyPager())
            let file = TestFile(patternedCount: 0x3000)
            try Self.map(&mm, file, pages: 4, offset: 0x1000)
            try mm.unmapRange(VirtualAddress(Self.start), length: 0x1000)
            expectEqual(try userBytes(&mm, at: Self.start + 0x1000, count: 0x1000), Array(file.bytes[0x2000..<0x3000]))
            #expect(throws: KernelError.badAddress) { try userBytes(&mm, at: Self.start + 0x2000, count: 1) }
            let backing = FileBacking(file: file, offset: UInt64.max & ~0xFFF, faultsPastEnd: true)
            #expect(try backing.isPastEnd(at: 0x1000), "an offset past every file")
            #expect(try !FileBacking(file: file, offset: 0x10_0000).isPastEnd(at: 0), "KeOS's mapping has no end")
        }
    }

    @Test func linuxsMmapOfAFileFaultsPastItsEnd() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let fd = try harness.linuxOpen("hello.txt", flags: 0)
            let address = harness.linux(LinuxSyscallNumber.mmap.rawValue, 0, 0x3000, 1, 2, UInt64(fd), 0)
            #expect(address > 0)
            let text = try harness.process.mm.copyIn(count: 13, from: VirtualAddress(UInt64(address)))
            expectEqual(String(decoding: text, as: UTF8.self), "Hello, file!\n")
            #expect(throws: KernelError.badAddress) { try harness.process.mm.copyIn(count: 1, from: VirtualAddress(UInt64(address) + 0x1000)) }
            expectEqual(harness.linux(LinuxSyscallNumber.write.rawValue, 1, UInt64(address) + 0x1000, 1), -14)
        }
    }

    @Test func aBusErrorPastTheEndIsSIGBUS() {
        let fault = FaultSignal.pageFault(.pastEndOfFile, at: 0x1000_2010, inRegion: true, errorCode: 4)
        expectEqual(fault.info, .fault(.busError, code: FaultSignal.busAddress, address: 0x1000_2010))
        expectEqual(FaultCause.pastEndOfFile.description, "access past the end of the mapped file")
    }
}
