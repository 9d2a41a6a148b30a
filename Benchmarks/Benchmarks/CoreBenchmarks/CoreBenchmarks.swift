// The speed of process memory in ApusCore, on host memory standing in for RAM.
//
// Each benchmark times one operation (per iteration; the tables show the time of one). The
// state a benchmark works on is built once, outside the measurement, and its memory is
// touched beforehand, so what is measured is the kernel's work and not the host's page faults.
// The 16 MiB memset is the floor for an eager 16 MiB mmap, which must zero as many bytes; the
// docs/speed.md reports their ratio.

import ApusCore
import Benchmark

let readWrite: Permission = [.read, .write]
let sixteenMiB: UInt64 = 16 << 20

/// Host RAM with a frame allocator over it, every frame touched once.
func warmFrames(megabytes: Int) -> FrameAllocator<HostMemory> {
    let memory = HostMemory(byteCount: megabytes << 20)
    let frames = FrameAllocator(memory: memory, range: memory.range)
    var taken: [PhysicalAddress] = []
    while let frame = frames.allocate() { taken.append(frame) }
    taken.reversed().forEach(frames.free)
    return frames
}

/// An address space built on first use and kept for every later run of its benchmark.
final class Fixture<P: Pager> {
    private let build: () -> MmStruct<HostMemory, P>
    private var built: MmStruct<HostMemory, P>?
    init(_ build: @escaping () -> MmStruct<HostMemory, P>) { self.build = build }

    func use(_ body: (inout MmStruct<HostMemory, P>) -> Void) {
        if built == nil { built = build() }
        body(&built!)
    }
}

/// An address space with `live` one-page mappings, two pages apart.
func addressSpace(withLiveMappings live: Int) -> Fixture<EagerPager> {
    Fixture {
        var mm = try! MmStruct(frames: warmFrames(megabytes: 16 + live * 8 / 1024), pager: EagerPager())
        for index in 0..<live {
            _ = try! mm.mmap(at: VirtualAddress(0x1000_0000 + UInt64(index) * 0x2000), length: 0x1000, protection: readWrite, backing: .anonymous)
        }
        return mm
    }
}

/// Times one mmap+munmap of a page in the gap in the middle of `live` other mappings, so that
/// every lookup walks the whole height of the region tree.
func mmapBesideLiveMappings(_ live: Int) {
    let fixture = addressSpace(withLiveMappings: live)
    let probe = VirtualAddress(0x1000_0000 + UInt64(live / 2) * 0x2000 + 0x1000)
    Benchmark("mmap+munmap (1 page) among \(live) live mappings", configuration: .init(scalingFactor: .kilo)) { benchmark in
        fixture.use { mm in
            for _ in benchmark.scaledIterations {
                _ = try! mm.mmap(at: probe, length: 0x1000, protection: readWrite, backing: .anonymous)
                try! mm.munmap(probe)
            }
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    let frames = warmFrames(megabytes: 8)
    var table: PageTable<HostMemory>? = try! PageTable(frames: frames)
    // Keep the intermediate tables alive, as in a real address space.
    try! table!.map(VirtualAddress(0x40_0000), to: frames.allocate()!, permission: readWrite)
    Benchmark("PageTable map+unmap (1 page, frame allocation included)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let page = VirtualAddress(0x40_1000)
        for _ in benchmark.scaledIterations {
            try! table!.map(page, to: frames.allocate()!, permission: readWrite)
            frames.free(try! table!.unmap(page))
        }
    }

    let small = addressSpace(withLiveMappings: 1)
    Benchmark("Eager mmap+munmap (1 page)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        small.use { mm in
            for _ in benchmark.scaledIterations {
                _ = try! mm.mmap(at: VirtualAddress(0x2000_0000), length: 0x1000, protection: readWrite, backing: .anonymous)
                try! mm.munmap(VirtualAddress(0x2000_0000))
            }
        }
    }

    let large = Fixture { try! MmStruct(frames: warmFrames(megabytes: 24), pager: EagerPager()) }
    Benchmark("Eager mmap+munmap (16 MiB)", configuration: .init(timeUnits: .microseconds)) { benchmark in
        large.use { mm in
            for _ in benchmark.scaledIterations {
                _ = try! mm.mmap(at: VirtualAddress(0x1000_0000), length: sixteenMiB, protection: readWrite, backing: .anonymous)
                try! mm.munmap(VirtualAddress(0x1000_0000))
            }
        }
    }

    let buffer = UnsafeMutableRawPointer.allocate(byteCount: Int(sixteenMiB), alignment: 4096)
    buffer.initializeMemory(as: UInt8.self, repeating: 1, count: Int(sixteenMiB))
    Benchmark("memset (16 MiB, the zeroing floor)", configuration: .init(timeUnits: .microseconds)) { benchmark in
        for _ in benchmark.scaledIterations {
            buffer.initializeMemory(as: UInt8.self, repeating: 0, count: Int(sixteenMiB))
            blackHole(buffer.load(fromByteOffset: 4096, as: UInt8.self))
        }
    }

    let mapped = Fixture {
        var mm = try! MmStruct(frames: warmFrames(megabytes: 8), pager: EagerPager())
        _ = try! mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x2_0000, protection: readWrite, backing: .anonymous)
        return mm
    }
    Benchmark("accessOK (64 KiB)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        mapped.use { mm in
            for _ in benchmark.scaledIterations {
                blackHole(mm.accessOK(VirtualAddress(0x1000_4321), length: 0x1_0000, write: true))
            }
        }
    }

    // Demand paging: what a lazy mmap costs (nothing that grows with the size), a first
    // touch per page, and an munmap that pays for the pages touched, not the region's size.
    let lazy = Fixture { try! MmStruct(frames: warmFrames(megabytes: 72), pager: LazyPager()) }
    Benchmark("Lazy mmap+munmap (64 MiB, untouched)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        lazy.use { mm in
            for _ in benchmark.scaledIterations {
                _ = try! mm.mmap(at: VirtualAddress(0x1000_0000), length: 64 << 20, protection: readWrite, backing: .anonymous)
                try! mm.munmap(VirtualAddress(0x1000_0000))
            }
        }
    }
    Benchmark("Eager mmap+munmap (64 MiB)", configuration: .init(timeUnits: .microseconds)) { benchmark in
        lazy.use { mm in
            var eager = try! MmStruct(frames: mm.pageTable.frames, pager: EagerPager())
            for _ in benchmark.scaledIterations {
                _ = try! eager.mmap(at: VirtualAddress(0x1000_0000), length: 64 << 20, protection: readWrite, backing: .anonymous)
                try! eager.munmap(VirtualAddress(0x1000_0000))
            }
        }
    }
    let writeFault = PageFaultErrorCode(rawValue: PageFaultErrorCode.userBit | PageFaultErrorCode.writeBit)
    Benchmark("Lazy first-touch fault (per page)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        lazy.use { mm in
            let pages: UInt64 = 16_384
            var next: UInt64 = 0
            _ = try! mm.mmap(at: VirtualAddress(0x1000_0000), length: pages << 12, protection: readWrite, backing: .anonymous)
            for _ in benchmark.scaledIterations {
                if next == pages {
                    benchmark.stopMeasurement()
                    try! mm.munmap(VirtualAddress(0x1000_0000))
                    _ = try! mm.mmap(at: VirtualAddress(0x1000_0000), length: pages << 12, protection: readWrite, backing: .anonymous)
                    next = 0
                    benchmark.startMeasurement()
                }
                blackHole(mm.handlePageFault(at: VirtualAddress(0x1000_0000 + (next << 12)), errorCode: writeFault))
                next += 1
            }
            try! mm.munmap(VirtualAddress(0x1000_0000))
        }
    }
    // munmap pays for what was touched, not for the size: the same 64 touches cost the same
    // in 64 MiB and in 1 GiB, and 1,024 touches cost more.
    for (megabytes, touched) in [(64, 64), (1024, 64), (1024, 1024)] {
        let size = UInt64(megabytes) << 20
        Benchmark("Lazy mmap, \(touched) first touches, munmap (\(megabytes) MiB)", configuration: .init(timeUnits: .microseconds)) { benchmark in
            lazy.use { mm in
                for _ in benchmark.scaledIterations {
                    _ = try! mm.mmap(at: VirtualAddress(0x1_0000_0000), length: size, protection: readWrite, backing: .anonymous)
                    for page in 0..<UInt64(touched) {
                        _ = mm.handlePageFault(at: VirtualAddress(0x1_0000_0000 + page * (size / UInt64(touched))), errorCode: writeFault)
                    }
                    try! mm.munmap(VirtualAddress(0x1_0000_0000))
                }
            }
        }
    }

    mmapBesideLiveMappings(10)
    mmapBesideLiveMappings(1_000)
    mmapBesideLiveMappings(100_000)
}
