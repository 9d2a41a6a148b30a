import X86_64Support

/// A check of the virtqueue's bookkeeping with no device behind it: the check writes the
/// used ring itself, as a broken or hostile device could.
enum VirtqueueChecks {
    static let queueSize = 8

    /// Entries that name a descriptor inside a chain, one beyond the table, or a chain
    /// already completed are each reported as bogus and change nothing; an index that runs
    /// ahead of the requests in flight is an overrun; the chains really completed and those
    /// reclaimed come back, and then every descriptor is free again, and no more.
    static func distrustsTheUsedRing() -> String? {
        let queue = Virtqueue(size: queueSize)
        let segment = Virtqueue.Segment(physicalAddress: 0, length: 1, deviceWrites: true)
        guard let first = queue.offer([segment, segment, segment]), let second = queue.offer([segment, segment]) else {
            return "two chains of 3 and 2 descriptors did not fit in a queue of \(queueSize)"
        }
        let used = DirectMap.boot.pointer(to: PhysicalAddress(queue.physicalAddress + UInt64(queue.usedOffset)))
        var index: UInt16 = 0
        /// Puts `id` in the used ring as a device would, and returns what the queue makes of it.
        func deviceCompletes(_ id: UInt32) -> Virtqueue.Completion? {
            let slot = used + Virtqueue.ringHeaderSize + Virtqueue.usedSlotSize * Int(index % UInt16(queueSize))
            slot.storeBytes(of: id.littleEndian, as: UInt32.self)
            slot.storeBytes(of: UInt32(0), toByteOffset: Virtqueue.usedLengthOffset, as: UInt32.self)
            index &+= 1
            used.storeBytes(of: index.littleEndian, toByteOffset: Virtqueue.ringIndexOffset, as: UInt16.self)
            return queue.takeCompletion()
        }
        let inside = UInt32(first) + 1
        let expectations: [(UInt32, Virtqueue.Completion)] = [
            (inside, .bogus(id: inside)),
            (UInt32(queueSize) + 91, .bogus(id: UInt32(queueSize) + 91)),
            (UInt32(first), .done(head: first, length: 0)),
            (UInt32(first), .bogus(id: UInt32(first))),
        ]
        for (id, expected) in expectations {
            let found = deviceCompletes(id)
            if found != expected { return "a used entry naming \(id) was taken as \(describe(found)), not \(describe(expected))" }
        }
        if queue.takeCompletion() != nil { return "a completion with nothing new in the used ring" }
        index &+= 5
        used.storeBytes(of: index.littleEndian, toByteOffset: Virtqueue.ringIndexOffset, as: UInt16.self)
        let overrun = queue.takeCompletion()
        if overrun != .overrun(claimed: 5, inFlight: 1) { return "an index 5 ahead with 1 request in flight was taken as \(describe(overrun))" }
        if queue.reclaimAll() != [second] { return "reclaiming did not give back the one chain in flight" }
        queue.release(first)
        queue.release(second)
        guard queue.freeCount == queueSize else { return "\(queue.freeCount) descriptors free after every chain came back, not \(queueSize)" }
        for taken in 0..<queueSize where queue.offer([segment]) == nil { return "only \(taken) one-descriptor chains fit" }
        return queue.offer([segment]) == nil ? nil : "a chain was offered with no descriptor free"
    }

    static func describe(_ completion: Virtqueue.Completion?) -> String {
        switch completion {
        case nil: "nothing"
        case .done(let head, let length)?: "done (head \(head), \(length) bytes)"
        case .bogus(let id)?: "bogus (id \(id))"
        case .overrun(let claimed, let inFlight)?: "overrun (\(claimed) claimed, \(inFlight) in flight)"
        }
    }
}
