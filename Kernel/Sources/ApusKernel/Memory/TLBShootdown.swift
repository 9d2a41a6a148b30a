import X86_64Support

/// TLB shootdown: when an address space loses a translation, every CPU that may cache it
/// drops it before the call that took it returns (ABI.md §8).
///
/// Each CPU caches translations of the address space in its CR3 in its own TLB, and no CPU
/// sees another's. So a change that takes a page away (`munmap`, a fork's write protection,
/// a copy-on-write copy, a page table freed) must reach every CPU that has that address
/// space loaded: the CPU that makes the change drops its own translations, writes a request
/// into each other such CPU's mailbox (`apus_cpu_local`: the page table's root and up to
/// `APUS_SHOOTDOWN_PAGES` pages, or none for "every translation"), interrupts it
/// (``InterruptVectors/shootdown``) and waits until every mailbox is empty again. Only then
/// does the call go on, and only then are the frames freed (``TranslationFlush``), so no CPU
/// reaches a frame through a stale translation once it belongs to someone else.
///
/// Which CPUs: those whose CR3 holds the address space now (``CPU/loadedRoot``); a CPU that
/// loads another address space drops the old one's translations by that load (Apus uses no
/// PCIDs and no global user pages), so the others need no interrupt. The requests are sent
/// with the kernel lock held, so no two are in flight at once, and no CPU changes its CR3
/// meanwhile. A CPU that spins for a lock with interrupts off answers its mailbox between
/// attempts (``KernelSpinlock``), so the sender never waits for a CPU that waits for it.
enum TLBShootdown {
    /// Requests sent, and the CPUs interrupted for them (for the statistics).
    nonisolated(unsafe) static var requests: UInt64 = 0
    nonisolated(unsafe) static var interrupts: UInt64 = 0

    /// Drops the translations of `pages` (all of them when `pages` is `nil`) of the address
    /// space whose page table root is `root`, on this CPU and on every other that has it
    /// loaded; returns once all have. Allocates nothing.
    static func invalidate(_ pages: UnsafeBufferPointer<VirtualAddress>?, inAddressSpaceOf root: UInt64) {
        let here = CPU.thisIndex
        if read_cr3() & PageTableEntry.frameMask == root {
            if let pages { for page in pages { invlpg(page.raw) } } else { write_cr3(read_cr3()) }
        }
        guard CPU.all.count > 1 else { return }
        var targets = CPUSet()
        for cpu in CPU.all where cpu.index != here && cpu.isOnline && cpu.loadedRoot == root { targets.insert(cpu.index) }
        guard !targets.isEmpty else { return }
        requests += 1
        for index in targets {
            let cpu = CPU.all[index.value]
            let mailbox = cpu.local
            mailbox.pointee.shootdown_root = root
            if let pages, pages.count <= Int(APUS_SHOOTDOWN_PAGES) {
                withUnsafeMutablePointer(to: &mailbox.pointee.shootdown_pages) { tuple in
                    tuple.withMemoryRebound(to: UInt64.self, capacity: pages.count) { slots in
                        for (slot, page) in pages.enumerated() { slots[slot] = page.raw }
                    }
                }
                mailbox.pointee.shootdown_count = UInt64(pages.count)
            } else {
                mailbox.pointee.shootdown_count = 0
            }
            atomic_store_release(&mailbox.pointee.shootdown_pending, 1)
            LocalAPIC.sendInterrupt(InterruptVectors.shootdown, to: cpu.apicID)
            interrupts += 1
        }
        for index in targets {
            let mailbox = CPU.all[index.value].local
            while atomic_load_acquire(&mailbox.pointee.shootdown_pending) != 0 { cpu_pause() }
        }
    }

    /// Answers this CPU's mailbox, if a request waits there: the translations go, then the
    /// mailbox is emptied (which the sender waits for). From the shootdown interrupt, and
    /// from a CPU spinning for a lock with interrupts off.
    static func answerPending() {
        let mailbox = cpu_local()!
        guard atomic_load_acquire(&mailbox.pointee.shootdown_pending) != 0 else { return }
        let count = Int(mailbox.pointee.shootdown_count)
        if read_cr3() & PageTableEntry.frameMask == mailbox.pointee.shootdown_root {
            if count == 0 {
                write_cr3(read_cr3())
            } else {
                withUnsafePointer(to: &mailbox.pointee.shootdown_pages) { tuple in
                    tuple.withMemoryRebound(to: UInt64.self, capacity: count) { slots in
                        for slot in 0..<count { invlpg(slots[slot]) }
                    }
                }
            }
        }
        atomic_store_release(&mailbox.pointee.shootdown_pending, 0)
    }
}
