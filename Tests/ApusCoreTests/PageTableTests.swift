import ApusCore
import Testing

@Suite("Page table")
struct PageTableTests {
    static let rw: Permission = [.read, .write, .user]

    @Test func mapThenWalkFindsTheFrame() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            let frame = machine.frames.allocate()!
            try table.map(VirtualAddress(0x40_1000), to: frame, permission: Self.rw)
            let entry = try table.walk(VirtualAddress(0x40_1000))
            expectEqual(entry.frame, frame)
            expectEqual(try table.walk(VirtualAddress(0x40_1FFF)).frame, frame)
            #expect(throws: PageTableError.notExist) { try table.walk(VirtualAddress(0x40_2000)) }
        }
    }

    /// ABI.md §4: P, plus RW if WRITE, plus US if USER, plus XD if not EXECUTABLE, and no
    /// other bit; for all 16 permission combinations, a few thousand pages each.
    @Test(arguments: 0..<16)
    func leafEntriesHoldExactlyTheBitsThePermissionNames(bits: Int) throws {
        let permission = Permission(rawValue: UInt64(bits))
        try withMachine(megabytes: 32) { machine in
            var table = try machine.pageTable()
            let pages = 3000
            // Crosses PT and PD boundaries: 0x3F_E000 is two pages below a 4 MiB line.
            let base: UInt64 = 0x3F_E000
            var frames: [PhysicalAddress] = []
            for index in 0..<pages {
                let page = VirtualAddress(base + UInt64(index) * 0x1000)
                let frame = machine.frames.allocate()!
                if permission.contains(.read) {
                    try table.map(page, to: frame, permission: permission)
                    frames.append(frame)
                } else {
                    #expect(throws: PageTableError.invalidPermission) { try table.map(page, to: frame, permission: permission) }
                }
            }
            guard permission.contains(.read) else {
                expectEqual(machine.frames.usedCount, 1, "refused frames must be freed, only the root remains")
                return
            }
            var expected: UInt64 = 1
            if permission.contains(.write) { expected |= 1 << 1 }
            if permission.contains(.user) { expected |= 1 << 2 }
            if !permission.contains(.executable) { expected |= 1 << 63 }
            for index in 0..<pages {
                let page = VirtualAddress(base + UInt64(index) * 0x1000)
                let entry = try table.walk(page)
                #expect(entry.raw == frames[index].raw | expected)
                expectEqual(entry.permission, permission.union(.read))
            }
            for index in 0..<pages {
                let page = VirtualAddress(base + UInt64(index) * 0x1000)
                expectEqual(try table.unmap(page), frames[index])
                machine.frames.free(frames[index])
                #expect(throws: PageTableError.notExist) { try table.walk(page) }
            }
        }
    }

    @Test func intermediateEntriesArePermissive() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            try table.map(VirtualAddress(0x7FFF_FFFF_F000), to: machine.frames.allocate()!, permission: .read)
            var tableAddress = table.root
            let page = VirtualAddress(0x7FFF_FFFF_F000)
            for level in stride(from: 4, to: 1, by: -1) {
                let entries = machine.memory.pointer(to: tableAddress).assumingMemoryBound(to: UInt64.self)
                let entry = PageTableEntry(raw: entries[page.tableIndex(level: level)])
                expectEqual(entry.flags, [.present, .writable, .user], "level \(level)")
                tableAddress = entry.frame
            }
            expectEqual(table.tableCount(), 3)
        }
    }

    @Test func unalignedMapFailsAndFreesTheFrame() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            let used = machine.frames.usedCount
            #expect(throws: PageTableError.unaligned) {
                try table.map(VirtualAddress(0x40_1008), to: machine.frames.allocate()!, permission: Self.rw)
            }
            expectEqual(machine.frames.usedCount, used)
        }
    }

    @Test func mappingAPresentPageIsDuplicatedAndFreesTheNewFrame() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            let first = machine.frames.allocate()!
            try table.map(VirtualAddress(0x1000), to: first, permission: Self.rw)
            let used = machine.frames.usedCount
            #expect(throws: PageTableError.duplicated) {
                try table.map(VirtualAddress(0x1000), to: machine.frames.allocate()!, permission: .read)
            }
            expectEqual(machine.frames.usedCount, used)
            expectEqual(try table.walk(VirtualAddress(0x1000)).frame, first)
            expectEqual(try table.walk(VirtualAddress(0x1000)).permission, Self.rw)
        }
    }

    @Test func runningOutOfTablesFailsAndFreesTheFrame() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            let frame = machine.frames.allocate()!
            let used = machine.frames.usedCount
            machine.frames.failAllocation(after: 1) // the PDPT comes, the PD does not
            #expect(throws: PageTableError.outOfMemory) { try table.map(VirtualAddress(0x1000), to: frame, permission: Self.rw) }
            expectEqual(machine.frames.usedCount, used, "the frame went back; one empty PDPT remains")
            expectEqual(table.tableCount(), 1)
            table.unmapAll(in: VirtualRange(0, pages: 1))
            expectEqual(table.tableCount(), 0)
        }
    }

    @Test func unmapReturnsTheFrameAndInvalidatesTheTranslation() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            let frame = machine.frames.allocate()!
            try table.map(VirtualAddress(0x2000), to: frame, permission: Self.rw)
            let before = machine.memory.invalidations
            expectEqual(try table.unmap(VirtualAddress(0x2000)), frame)
            #expect(machine.memory.invalidations == before + 1)
            expectEqual(machine.frames.shareCount(of: frame), 1, "the frame is the caller's now")
            machine.frames.free(frame)
        }
    }

    @Test func unmapOfAnAbsentPageIsNotExist() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            #expect(throws: PageTableError.notExist) { try table.unmap(VirtualAddress(0x2000)) }
            try table.map(VirtualAddress(0x2000), to: machine.frames.allocate()!, permission: Self.rw)
            #expect(throws: PageTableError.notExist) { try table.unmap(VirtualAddress(0x3000)) }
            #expect(throws: PageTableError.notExist) { try table.unmap(VirtualAddress(0x7FFF_FFE0_0000)) }
            #expect(throws: PageTableError.unaligned) { try table.unmap(VirtualAddress(0x2010)) }
            #expect(throws: PageTableError.notExist) { try table.unmap(VirtualAddress(0x8000_0000_0000)) }
            #expect(throws: PageTableError.notExist) { try table.walk(VirtualAddress(0x8000_0000_0000)) }
        }
    }

    @Test func updateLeafRewritesInPlaceForCopyOnWrite() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            let frame = machine.frames.allocate()!
            try table.map(VirtualAddress(0x5000), to: frame, permission: Self.rw)
            let before = machine.memory.invalidations
            try table.updateLeaf(at: VirtualAddress(0x5123)) { entry in
                var entry = entry
                entry.flags.remove(.writable)
                return entry
            }
            #expect(machine.memory.invalidations == before + 1)
            expectEqual(try table.walk(VirtualAddress(0x5000)).permission, [.read, .user])
            expectEqual(try table.walk(VirtualAddress(0x5000)).frame, frame)
            #expect(throws: PageTableError.notExist) { try table.updateLeaf(at: VirtualAddress(0x6000)) { $0 } }
        }
    }

    @Test func unmapAllFreesFramesAndTablesTheRangeLeavesEmpty() throws {
        try withMachine(megabytes: 16) { machine in
            var table = try machine.pageTable()
            // 600 pages from just below 2 MiB to past 4 MiB (three PTs), and a neighbour at
            // 4 KiB that keeps the first PT alive.
            for page in VirtualRange(0x1F_F000, pages: 600).pages {
                try table.map(VirtualAddress(page), to: machine.frames.allocate()!, permission: Self.rw)
            }
            try table.map(VirtualAddress(0x1000), to: machine.frames.allocate()!, permission: Self.rw)
            expectEqual(table.tableCount(), 5) // PDPT, PD, PTs for 0–2, 2–4 and 4–6 MiB
            let removed = table.unmapAll(in: VirtualRange(0x1F_F000, pages: 600))
            expectEqual(removed, 602, "600 pages and the 2–4 and 4–6 MiB PTs")
            expectEqual(table.tableCount(), 3)
            #expect(try table.walk(VirtualAddress(0x1000)).isPresent)
        }
    }

    @Test func droppingATableFreesEveryFrameAndTable() throws {
        withMachine(megabytes: 16) { machine in
            do {
                var table = try machine.pageTable()
                for address: UInt64 in [0, 0x40_1000, 0x7F_FFFF_F000, 0x80_0000_0000, 0x7FFF_FFFF_F000] {
                    try table.map(VirtualAddress(address), to: machine.frames.allocate()!, permission: Self.rw)
                }
                #expect(machine.frames.usedCount > 5)
            } catch {
                Issue.record("unexpected \(error)")
            }
            // withMachine checks that every frame came back.
        }
    }

    @Test func kernelSlotsAreSharedFromTheTemplateAndNeverFreed() throws {
        let machine = TestMachine(megabytes: 16)
        var kernel = try machine.pageTable()
        let kernelFrame = machine.frames.allocate()!
        let heapFrame = machine.frames.allocate()!
        try kernel.map(VirtualAddress(0xFFFF_8000_0010_0000), to: kernelFrame, permission: [.read, .write])
        try kernel.map(AddressSpaceLayout.kernelWindow.start, to: heapFrame, permission: [.read, .write])
        let kernelFrames = machine.frames.usedCount
        do {
            var process = try PageTable(frames: machine.frames, sharingKernelSlotsOf: kernel.root)
            expectEqual(try process.walk(VirtualAddress(0xFFFF_8000_0010_0000)).frame, kernelFrame)
            expectEqual(try process.walk(AddressSpaceLayout.kernelWindow.start).frame, heapFrame)
            try process.map(VirtualAddress(0x40_0000), to: machine.frames.allocate()!, permission: Self.rw)
            expectEqual(process.tableCount(), 3, "shared slots are not the process's tables")
            process.unmapAll(in: AddressSpaceLayout.userHalf)
            expectEqual(try process.walk(AddressSpaceLayout.kernelWindow.start).frame, heapFrame)
        }
        expectEqual(machine.frames.usedCount, kernelFrames, "the process gave back its own frames only")
        expectEqual(try kernel.walk(VirtualAddress(0xFFFF_8000_0010_0000)).frame, kernelFrame)
        expectEqual(try kernel.walk(AddressSpaceLayout.kernelWindow.start).frame, heapFrame)
        machine.frames.free(try kernel.unmap(VirtualAddress(0xFFFF_8000_0010_0000)))
        machine.frames.free(try kernel.unmap(AddressSpaceLayout.kernelWindow.start))
        _ = consume kernel
        // Tables of shared slots outlive every page table: PDPT, PD and PT of the kernel half
        // and of the kernel window.
        expectEqual(machine.frames.usedCount, 6)
    }
}

@Suite("Page table: the kernel's unowned frames")
struct UnownedMappingTests {
    @Test func unownedFramesAreMappedButNeverFreed() throws {
        let machine = TestMachine()
        var kernel = try machine.pageTable()
        let image = PhysicalAddress(0x20_0000) // a frame outside the allocator, like the kernel image
        try kernel.mapUnowned(VirtualAddress(0xFFFF_8000_0020_0000), to: image, permission: [.read, .executable])
        expectEqual(try kernel.walk(VirtualAddress(0xFFFF_8000_0020_0000)).frame, image)
        #expect(throws: PageTableError.duplicated) {
            try kernel.mapUnowned(VirtualAddress(0xFFFF_8000_0020_0000), to: image, permission: .read)
        }
        #expect(throws: PageTableError.invalidPermission) {
            try kernel.mapUnowned(VirtualAddress(0xFFFF_8000_0030_0000), to: image, permission: .write)
        }
        expectEqual(machine.frames.usedCount, 4, "root and three tables; the image frame is not the allocator's")
    }

    @Test func unownedFramesAreRefusedOutsideTheSharedSlots() async {
        await #expect(processExitsWith: .failure) {
            let machine = TestMachine()
            var table = try! machine.pageTable()
            try? table.mapUnowned(VirtualAddress(0x40_0000), to: PhysicalAddress(0x20_0000), permission: .read)
        }
    }
}

/// The range walks that `fork` builds on, and mapping a frame as one more sharer.
@Suite("Page table: walking ranges and sharing frames")
struct PageTableRangeTests {
    static let rw: Permission = [.read, .write, .user]
    /// Two pages below a 1 GiB line, so a range crosses PD and PT boundaries.
    static let base: UInt64 = 0x3FFF_E000

    @Test func forEachMappedPageVisitsExactlyThePresentPagesInAddressOrder() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            let pages: [UInt64] = [Self.base - 0x1000, Self.base, Self.base + 0x1000, Self.base + 0x3000, Self.base + 0x20_0000, Self.base + 0x40_0000]
            var framesByPage: [UInt64: PhysicalAddress] = [:]
            for page in pages.reversed() {
                let frame = try #require(machine.frames.allocate())
                try table.map(VirtualAddress(page), to: frame, permission: Self.rw)
                framesByPage[page] = frame
            }
            var visited: [UInt64] = []
            table.forEachMappedPage(in: VirtualRange(Self.base, pages: 0x400)) { page, entry in
                visited.append(page.raw)
                expectEqual(entry, .leaf(frame: framesByPage[page.raw]!, permission: Self.rw))
            }
            expectEqual(visited, Array(pages.dropFirst().dropLast()), "only the range, in order, absent pages skipped")
            var none = 0
            table.forEachMappedPage(in: VirtualRange(Self.base + 0x4000, pages: 8)) { _, _ in none += 1 }
            table.forEachMappedPage(in: VirtualRange(0x80_0000_0000, pages: 0)) { _, _ in none += 1 }
            expectEqual(none, 0)
        }
    }

    @Test func forEachMappedPageStopsAtTheFirstErrorItsBodyThrows() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            for index in 0..<4 as Range<UInt64> {
                try table.map(VirtualAddress(Self.base + index * 0x1000), to: machine.frames.allocate()!, permission: Self.rw)
            }
            var visited = 0
            #expect(throws: PageTableError.duplicated) {
                try table.forEachMappedPage(in: VirtualRange(Self.base, pages: 4)) { (_, _) throws(PageTableError) in
                    visited += 1
                    if visited == 2 { throw .duplicated }
                }
            }
            expectEqual(visited, 2)
        }
    }

    @Test func pastTheCeilingARegionsTranslationsGoInOneWholeFlushAlone() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            let ceiling = UInt64(TranslationFlush<HostMemory>.ceiling)
            let pages = ceiling + 10
            for index in 0..<pages {
                try table.map(VirtualAddress(Self.base + index * 0x1000), to: machine.frames.allocate()!, permission: Self.rw)
            }
            let (single, whole) = (machine.memory.invalidations, machine.memory.wholeInvalidations)
            let changed = table.writeProtectLeaves(in: VirtualRange(Self.base, pages: pages))
            expectEqual(changed, Int(pages))
            expectEqual(machine.memory.invalidations, single, "past the ceiling, no page one by one")
            #expect(machine.memory.wholeInvalidations == whole + 1, "but everything once")

            let small = VirtualRange(Self.base, pages: 3)
            let (single2, whole2) = (machine.memory.invalidations, machine.memory.wholeInvalidations)
            table.unmapAll(in: small)
            #expect(machine.memory.invalidations > single2 && machine.memory.invalidations <= single2 + Int(ceiling), "a few pages: one by one")
            expectEqual(machine.memory.wholeInvalidations, whole2)

            table.unmapAll(in: VirtualRange(Self.base + 3 * 0x1000, pages: pages - 3))
            #expect(machine.memory.wholeInvalidations == whole2 + 1)
            expectEqual(table.mappedPageCount(), 0)
        }
    }

    @Test func writeProtectLeavesTakesWriteFromEveryPresentLeafAndInvalidatesOnlyTheChangedOnes() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            for index in 0..<5 as Range<UInt64> {
                let permission: Permission = index == 2 ? [.read, .user] : [.read, .write, .executable, .user]
                try table.map(VirtualAddress(Self.base + index * 0x1000), to: machine.frames.allocate()!, permission: permission)
            }
            let outside = VirtualAddress(Self.base + 0x5000)
            try table.map(outside, to: machine.frames.allocate()!, permission: Self.rw)
            let before = machine.memory.invalidations
            let changed = table.writeProtectLeaves(in: VirtualRange(Self.base, pages: 5))
            expectEqual(changed, 4, "the read-only leaf stays as it was")
            #expect(machine.memory.invalidations == before + 4)
            for index in 0..<5 as Range<UInt64> {
                let entry = try table.walk(VirtualAddress(Self.base + index * 0x1000))
                expectEqual(entry.permission, (index == 2 ? [.read, .user] : [.read, .executable, .user]))
            }
            expectEqual(try table.walk(outside).permission, Self.rw, "outside the range: untouched")
        }
    }

    @Test func mapSharedAddsOneShareThatTheTableGivesBack() throws {
        try withMachine { machine in
            var first = try machine.pageTable()
            let frame = try #require(machine.frames.allocate())
            try first.map(VirtualAddress(Self.base), to: frame, permission: [.read, .user])
            do {
                var second = try machine.pageTable()
                try second.mapShared(VirtualAddress(Self.base + 0x1000), to: frame, permission: [.read, .user])
                expectEqual(machine.frames.shareCount(of: frame), 2)
                expectEqual(try second.walk(VirtualAddress(Self.base + 0x1000)), .leaf(frame: frame, permission: [.read, .user]))
            }
            expectEqual(machine.frames.shareCount(of: frame), 1, "the dropped table gave its share back")
            expectEqual(try first.walk(VirtualAddress(Self.base)).frame, frame)
        }
    }

    @Test func aFailedMapSharedLeavesTheShareCountAsItWas() throws {
        try withMachine { machine in
            var first = try machine.pageTable()
            let frame = try #require(machine.frames.allocate())
            try first.map(VirtualAddress(Self.base), to: frame, permission: Self.rw)
            var second = try machine.pageTable()
            machine.frames.failAllocation(after: 1) // the PDPT, then no PD
            #expect(throws: PageTableError.outOfMemory) { try second.mapShared(VirtualAddress(Self.base), to: frame, permission: [.read, .user]) }
            machine.frames.cancelInjectedFailure()
            #expect(throws: PageTableError.duplicated) { try first.mapShared(VirtualAddress(Self.base), to: frame, permission: [.read, .user]) }
            #expect(throws: PageTableError.invalidPermission) { try second.mapShared(VirtualAddress(Self.base), to: frame, permission: .write) }
            expectEqual(machine.frames.shareCount(of: frame), 1)
        }
    }

    @Test func mapSharedFromAnotherTableSharesEveryMappedPageOfTheRangeOnly() throws {
        try withMachine(megabytes: 16) { machine in
            var source = try machine.pageTable()
            // Pages on both sides of a leaf table's 2 MiB boundary, a gap, and one outside.
            let pages: [UInt64] = [0, 1, 511, 512, 513, 1500].map { Self.base + $0 * 0x1000 }
            for page in pages { try source.map(VirtualAddress(page), to: try #require(machine.frames.allocate()), permission: Self.rw) }
            let outside = VirtualAddress(Self.base + 2048 * 0x1000)
            try source.map(outside, to: try #require(machine.frames.allocate()), permission: Self.rw)
            do {
                var target = try machine.pageTable()
                try target.mapShared(from: source, in: VirtualRange(Self.base, pages: 2048), permission: [.read, .user])
                for page in pages {
                    let frame = try source.walk(VirtualAddress(page)).frame
                    expectEqual(try target.walk(VirtualAddress(page)), .leaf(frame: frame, permission: [.read, .user]))
                    expectEqual(machine.frames.shareCount(of: frame), 2)
                }
                #expect(throws: PageTableError.notExist) { try target.walk(outside) }
                #expect(throws: PageTableError.notExist) { try target.walk(VirtualAddress(Self.base + 2 * 0x1000)) }
                expectEqual(target.mappedPageCount(), pages.count)
            }
            for page in pages { expectEqual(machine.frames.shareCount(of: try source.walk(VirtualAddress(page)).frame), 1) }
        }
    }

    @Test func mapSharedFromAnotherTableThatRunsOutOfTablesKeepsEveryShareAccounted() throws {
        try withMachine(megabytes: 16) { machine in
            var source = try machine.pageTable()
            let pages: [UInt64] = [0, 512, 1024].map { Self.base + $0 * 0x1000 }
            for page in pages { try source.map(VirtualAddress(page), to: try #require(machine.frames.allocate()), permission: Self.rw) }
            let free = machine.frames.freeCount
            do {
                var target = try machine.pageTable()
                // The first page needs a PDPT, a PD and a PT; the second lies past a 1 GiB line
                // (the base is just below one): its PD is the fourth table, its PT fails.
                machine.frames.failAllocation(after: 4)
                #expect(throws: PageTableError.outOfMemory) {
                    try target.mapShared(from: source, in: VirtualRange(Self.base, pages: 2048), permission: [.read, .user])
                }
                machine.frames.cancelInjectedFailure()
                expectEqual(target.mappedPageCount(), 1, "the page before the failure is shared")
            }
            expectEqual(machine.frames.freeCount, free, "dropping the partial table gave back its tables and shares")
            for page in pages { expectEqual(machine.frames.shareCount(of: try source.walk(VirtualAddress(page)).frame), 1) }
        }
    }

    @Test func mapNewFramesMapsAFilledFrameForEveryPageAcrossLeafTables() throws {
        try withMachine(megabytes: 16) { machine in
            var table = try machine.pageTable()
            let range = VirtualRange(Self.base, pages: 600) // across a 1 GiB and a 2 MiB line
            try table.mapNewFrames(in: range, permission: [.read, .user]) { page, frame in
                frame[0] = UInt8(truncatingIfNeeded: page.raw >> 12)
            }
            expectEqual(table.mappedPageCount(), 600)
            for index in [0, 1, 2, 513, 599] as [UInt64] {
                let page = Self.base + index * 0x1000
                let entry = try table.walk(VirtualAddress(page))
                expectEqual(entry, .leaf(frame: entry.frame, permission: [.read, .user]))
                expectEqual(machine.memory.page(at: entry.frame)[0], UInt8(truncatingIfNeeded: page >> 12))
                #expect(machine.memory.page(at: entry.frame)[1...].allSatisfy { $0 == 0 })
            }
            #expect(throws: PageTableError.duplicated) {
                try table.mapNewFrames(in: VirtualRange(Self.base + 599 * 0x1000, pages: 1), permission: [.read, .user]) { _, _ in }
            }
            #expect(throws: PageTableError.invalidPermission) {
                try table.mapNewFrames(in: VirtualRange(Self.base + 700 * 0x1000, pages: 1), permission: .write) { _, _ in }
            }
        }
    }

    @Test func mapNewFramesThatRunsOutLeavesWhatItMappedForTheCallerToUnmap() throws {
        try withMachine(megabytes: 16) { machine in
            var table = try machine.pageTable()
            let free = machine.frames.freeCount
            let range = VirtualRange(0x1000_0000, pages: 8)
            machine.frames.failAllocation(after: 3 + 5) // the tables, then five pages
            #expect(throws: PageTableError.outOfMemory) { try table.mapNewFrames(in: range, permission: Self.rw) { _, _ in } }
            machine.frames.cancelInjectedFailure()
            expectEqual(table.mappedPageCount(), 5)
            table.unmapAll(in: range)
            expectEqual(machine.frames.freeCount, free, "every frame and table back")
        }
    }
}
