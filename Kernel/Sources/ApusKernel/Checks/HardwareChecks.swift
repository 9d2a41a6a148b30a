import X86_64Support

/// Checks, run in the booted kernel, that the hardware does what ApusCore's page tables
/// promise. Each reports one line, `check NAME: ok` or `check NAME: FAILED (why)`, which the
/// system tests read by name.
enum HardwareChecks {
    /// A user-half address that no kernel mapping uses, for test pages.
    static let testPage = VirtualAddress(0x1000_0000)

    /// Runs every check; `scratchDiskBlocks`, when the boot has a scratch disk of that many
    /// blocks to write on (DiskChecks), adds the disk's.
    static func runAll(scratchDiskBlocks: Int?) -> Bool {
        let framesBefore = Kernel.memory.frames.freeCount
        var passed = true
        passed = run("execute-in-new-page-table", executeInNewPageTable) && passed
        passed = run("write-to-read-only-faults", writeToReadOnlyFaults) && passed
        passed = run("fetch-from-non-executable-faults", fetchFromNonExecutableFaults) && passed
        passed = run("unmapped-page-faults", unmappedPageFaults) && passed
        passed = run("swift-heap", swiftHeap) && passed
        passed = run("memory-functions", memoryFunctions) && passed
        passed = run("spurious-interrupts-ignored", spuriousInterruptsIgnored) && passed
        passed = SynchronisationChecks.runAll() && passed
        passed = ProcessorChecks.runAll() && passed
        if let scratchDiskBlocks { passed = DiskChecks.runAll(blocks: UInt64(scratchDiskBlocks)) && passed }
        passed = HeapBudgetChecks.runAll() && passed
        passed = run("frames-returned") {
            let now = Kernel.memory.frames.freeCount
            return now == framesBefore ? nil : "\(framesBefore - now) frames not returned"
        } && passed
        log(passed ? "all checks passed" : "some checks FAILED")
        return passed
    }

    /// Runs one check: `body` returns nil on success or the reason it failed.
    static func run(_ name: StaticString, _ body: () -> String?) -> Bool {
        let failure = body()
        log("check \(name): \(failure.map { "FAILED (\($0))" } ?? "ok")")
        return failure == nil
    }

    /// Runs `body` with a fresh address space (sharing the kernel's slots) loaded in CR3,
    /// then switches back and drops it.
    static func withAddressSpace(_ body: (inout PageTable<DirectMap>) -> String?) -> String? {
        do throws(KernelError) {
            var table = try Kernel.memory.newPageTable()
            let kernelRoot = read_cr3()
            write_cr3(table.root.raw)
            let result = body(&table)
            write_cr3(kernelRoot)
            return result
        } catch {
            return "no memory for a page table: \(error)"
        }
    }

    /// Maps a fresh frame at ``testPage`` with `permission` in `table`.
    static func mapTestPage(_ table: inout PageTable<DirectMap>, _ permission: Permission) -> String? {
        guard let frame = Kernel.memory.frames.allocate() else { return "out of frames" }
        do throws(PageTableError) {
            try table.map(testPage, to: frame, permission: permission)
            return nil
        } catch {
            return "map failed: \(error)"
        }
    }

    static var testPointer: UnsafeMutablePointer<UInt8> { UnsafeMutablePointer(bitPattern: UInt(testPage.raw))! }

    /// The vectors of a spurious IRQ 7 and 15 have gates, and an interrupt there with no IRQ
    /// in service is dropped (InterruptController): without a gate it would be a #GP, which
    /// in the idle loop is a panic. Reaching the next line is the check.
    static func spuriousInterruptsIgnored() -> String? {
        raise_vector_39()
        raise_vector_47()
        return nil
    }

    /// Code written into a READ|WRITE|EXECUTABLE page of a new page table runs.
    static func executeInNewPageTable() -> String? {
        withAddressSpace { table in
            if let failure = mapTestPage(&table, [.read, .write, .executable]) { return failure }
            // mov eax, 42 ; ret
            let code: [UInt8] = [0xB8, 42, 0, 0, 0, 0xC3]
            for (index, byte) in code.enumerated() { testPointer[index] = byte }
            var result: UInt64 = 0
            let function = unsafeBitCast(testPointer, to: (@convention(c) () -> UInt64).self)
            guard probe_call(function, &result) == 0 else { return "the call faulted" }
            return result == 42 ? nil : "the code returned \(result), not 42"
        }
    }

    /// With CR0.WP, a kernel write to a READ-only page faults (present, write).
    static func writeToReadOnlyFaults() -> String? {
        withAddressSpace { table in
            if let failure = mapTestPage(&table, .read) { return failure }
            guard probe_write(testPointer, 1) == 1 else { return "the write went through" }
            return expectPageFault(present: true, write: true, fetch: false)
        }
    }

    /// With EFER.NXE, fetching an instruction from a non-executable page faults with the
    /// instruction-fetch bit.
    static func fetchFromNonExecutableFaults() -> String? {
        withAddressSpace { table in
            if let failure = mapTestPage(&table, [.read, .write]) { return failure }
            testPointer[0] = 0xC3 // ret
            var result: UInt64 = 0
            let function = unsafeBitCast(testPointer, to: (@convention(c) () -> UInt64).self)
            guard probe_call(function, &result) == 1 else { return "the fetch went through" }
            return expectPageFault(present: true, write: false, fetch: true)
        }
    }

    /// After `unmap` (with `invlpg`), touching the page faults (not present).
    static func unmappedPageFaults() -> String? {
        withAddressSpace { table in
            if let failure = mapTestPage(&table, [.read, .write]) { return failure }
            var value: UInt8 = 0
            testPointer[0] = 7
            guard probe_read(testPointer, &value) == 0, value == 7 else { return "the mapped page could not be read" }
            do throws(PageTableError) {
                Kernel.memory.frames.free(try table.unmap(testPage))
            } catch {
                return "unmap failed: \(error)"
            }
            guard probe_read(testPointer, &value) == 1 else { return "the unmapped page could still be read" }
            return expectPageFault(present: false, write: false, fetch: false)
        }
    }

    /// Page-fault error code bits (Intel SDM Vol. 3A §4.7).
    static func expectPageFault(present: Bool, write: Bool, fetch: Bool) -> String? {
        guard let fault = Traps.lastProbedFault else { return "no fault was recorded" }
        Traps.lastProbedFault = nil
        guard fault.vector == Traps.pageFault else { return "vector \(fault.vector), not a page fault" }
        guard fault.address == testPage.raw else { return "CR2 \(hexadecimal(fault.address)), not \(testPage)" }
        let code = fault.errorCode
        if (code & 1 != 0) != present { return "error code \(hexadecimal(code)): present bit wrong" }
        if (code & 2 != 0) != write { return "error code \(hexadecimal(code)): write bit wrong" }
        if (code & 16 != 0) != fetch { return "error code \(hexadecimal(code)): instruction-fetch bit wrong" }
        return nil
    }

    /// Arrays, classes and enums carrying class references work on the kernel heap, and a
    /// loop of 100,000 allocations leaves heap usage where it started.
    static func swiftHeap() -> String? {
        final class Node {
            let value: Int
            var next: Node?
            init(_ value: Int, next: Node?) { self.value = value; self.next = next }
        }
        enum Payload {
            case leaf(Node)
            case pair(Node, Node)
            case empty
        }
        let baseline = KernelHeap.allocator!.bytesInUse
        var checksum = 0
        for round in 0..<1_000 {
            var list: Node?
            var payloads: [Payload] = []
            for index in 0..<50 {
                list = Node(index, next: list)
                payloads.append(index % 3 == 0 ? .leaf(list!) : index % 3 == 1 ? .pair(list!, list!) : .empty)
            }
            for payload in payloads {
                switch payload {
                case .leaf(let node): checksum += node.value
                case .pair(let a, let b): checksum += a.value + b.value
                case .empty: break
                }
            }
            if round == 0 && KernelHeap.allocator!.bytesInUse <= baseline { return "allocations did not reach the heap" }
        }
        // Per round: 17 leaves + 2 * 17 pair members (indices 0…49) = sum over the pattern.
        let expected = (0..<50).reduce(0) { sum, index in sum + (index % 3 == 0 ? index : index % 3 == 1 ? 2 * index : 0) } * 1_000
        guard checksum == expected else { return "enums carried the wrong nodes (checksum \(checksum), expected \(expected))" }
        let now = KernelHeap.allocator!.bytesInUse
        return now == baseline ? nil : "heap usage \(now) bytes, baseline \(baseline)"
    }

    /// memory_functions.S's memset, memcpy and memmove (eight bytes per step, then the tail) against
    /// byte-by-byte expectations, for every length 0–40 and every alignment 0–7, with
    /// overlapping moves in both directions.
    static func memoryFunctions() -> String? {
        let size = 128
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        let expected = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        defer { buffer.deallocate(); expected.deallocate() }
        func pattern() {
            for index in 0..<size { buffer[index] = UInt8(truncatingIfNeeded: index &* 7 &+ 1); expected[index] = buffer[index] }
        }
        func differs() -> Bool { memcmp(buffer, expected, size) != 0 }
        for length in 0...40 {
            for offset in 0..<8 {
                pattern()
                memset(buffer + 16 + offset, 0xA5, length)
                for index in 0..<length { expected[16 + offset + index] = 0xA5 }
                if differs() { return "memset of \(length) bytes at offset \(offset)" }
                pattern()
                memcpy(buffer + 64 + offset, buffer + 3, length)
                for index in 0..<length { expected[64 + offset + index] = expected[3 + index] }
                if differs() { return "memcpy of \(length) bytes at offset \(offset)" }
                for shift in [-9, -1, 1, 9] {
                    pattern()
                    memmove(buffer + 40 + offset + shift, buffer + 40 + offset, length)
                    // Every byte moved holds what its source held before the move began.
                    for index in 0..<length { expected[40 + offset + shift + index] = UInt8(truncatingIfNeeded: (40 + offset + index) &* 7 &+ 1) }
                    if differs() { return "memmove of \(length) bytes by \(shift) at offset \(offset)" }
                }
            }
        }
        return nil
    }
}
