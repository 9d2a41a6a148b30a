/// The pager a process runs with, chosen when the kernel starts (`apus run --pager`).
///
/// `MmStruct` is generic over its pager, so the choice between the two is made by value
/// here, in an enum that is itself a ``Pager`` and forwards to the pager it names: no
/// existential, as Embedded Swift requires, and one `MmStruct` type for the kernel.
public enum PagingPolicy: Pager, Sendable, Hashable {
    /// ``EagerPager``: every page filled when its region is created.
    case eager
    /// ``LazyPager``: every page filled at its first touch. The default.
    case lazy

    /// The policy named `name` (`eager` or `lazy`), if any.
    public init?(name: some Collection<UInt8>) {
        if name.elementsEqual("eager".utf8) { self = .eager } else if name.elementsEqual("lazy".utf8) { self = .lazy } else { return nil }
    }

    public var name: StaticString {
        switch self {
        case .eager: "eager"
        case .lazy: "lazy"
        }
    }

    public mutating func regionAdded<RAM>(_ region: Region, pageTable: inout PageTable<RAM>) throws(KernelError) {
        switch self {
        case .eager:
            var pager = EagerPager()
            try pager.regionAdded(region, pageTable: &pageTable)
        case .lazy:
            var pager = LazyPager()
            try pager.regionAdded(region, pageTable: &pageTable)
        }
    }

    public mutating func pageIn<RAM>(
        at address: VirtualAddress, access: AccessKind, in region: Region, pageTable: inout PageTable<RAM>
    ) -> FaultResolution {
        switch self {
        case .eager:
            var pager = EagerPager()
            return pager.pageIn(at: address, access: access, in: region, pageTable: &pageTable)
        case .lazy:
            var pager = LazyPager()
            return pager.pageIn(at: address, access: access, in: region, pageTable: &pageTable)
        }
    }
}
