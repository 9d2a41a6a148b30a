/// The lock-order validator: it learns in which order CPUs take the kernel's locks, and
/// names the first acquire that could deadlock (the idea of Linux's *lockdep*).
///
/// Two CPUs deadlock when each holds a lock the other wants: CPU 0 holds A and wants B while
/// CPU 1 holds B and wants A. That needs only that A was once taken before B and B once
/// before A, on any CPUs, at any times: the deadlock itself may take a million runs to
/// happen, but the *inversion* shows on the first run that takes both orders. So the
/// validator keeps, for every class of lock, which classes were taken while it was held (an
/// edge A → B), and refuses an acquire of B while holding A when B already leads to A
/// (directly or through other locks): the pair, named, is the bug.
///
/// It also refuses a second acquire of a class a CPU already holds (a spinlock taken twice
/// by its holder spins forever; two locks of one class taken together, such as two run
/// queues, need an order of their own, which the kernel avoids by never nesting them).
///
/// Locks of one kind share a *class* (``LockClass``): every run queue is one class, so the
/// order learnt from one holds for all. The rules are pure: the kernel asks before every
/// acquire (``acquiring(_:on:)``) and says after every release (``released(_:on:)``), and
/// panics with the names in the violation; the host tests plant an inversion and a double
/// acquire.
public struct LockOrderValidator {
    /// The most classes of locks the validator tells apart.
    public static let classLimit = 64

    private var names: [StaticString] = []
    /// `leadsTo[a]` has bit `b` when `b` was acquired while `a` was held.
    private var leadsTo = [UInt64](repeating: 0, count: classLimit)
    /// The classes each CPU holds now, one bit each.
    private var held = [UInt64](repeating: 0, count: CPUSet.capacity)

    public init() {}

    /// A new class of locks, named for what its locks protect.
    public mutating func register(_ name: StaticString) -> LockClass {
        precondition(names.count < Self.classLimit, "more than \(Self.classLimit) classes of locks")
        names.append(name)
        return LockClass(index: names.count - 1, name: name)
    }

    /// The name of the class `index`.
    public func name(of index: Int) -> StaticString { names[index] }

    /// `cpu` is about to acquire a lock of class `lock`: `nil` when that is in order (and it
    /// is recorded as held, with the edges from every class the CPU holds), else the
    /// violation, and nothing is recorded.
    public mutating func acquiring(_ lock: LockClass, on cpu: CPUIndex) -> LockOrderViolation? {
        let holding = held[cpu.value]
        let bit: UInt64 = 1 << UInt64(lock.index)
        if holding & bit != 0 { return .doubleAcquire(lock.name, cpu: cpu) }
        // Any class this CPU holds that the new one already leads to is an inversion.
        let reachable = reachableClasses(from: lock.index)
        if case let inverted = reachable & holding, inverted != 0 {
            return .inversion(holding: names[inverted.trailingZeroBitCount], acquiring: lock.name)
        }
        var classes = holding
        while classes != 0 {
            leadsTo[classes.trailingZeroBitCount] |= bit
            classes &= classes - 1
        }
        held[cpu.value] = holding | bit
        return nil
    }

    /// `cpu` released its lock of class `lock`.
    public mutating func released(_ lock: LockClass, on cpu: CPUIndex) {
        held[cpu.value] &= ~(1 << UInt64(lock.index))
    }

    /// The classes `cpu` holds now.
    public func heldClasses(on cpu: CPUIndex) -> [LockClass] {
        var result: [LockClass] = []
        var classes = held[cpu.value]
        while classes != 0 {
            let index = classes.trailingZeroBitCount
            result.append(LockClass(index: index, name: names[index]))
            classes &= classes - 1
        }
        return result
    }

    /// Whether an acquire of `later` while holding `earlier` has been seen.
    public func hasSeen(_ earlier: LockClass, before later: LockClass) -> Bool {
        leadsTo[earlier.index] & (1 << UInt64(later.index)) != 0
    }

    /// Every class reachable from `start` through the edges (a breadth-first closure over
    /// bit sets), `start` excluded unless a cycle returns to it.
    private func reachableClasses(from start: Int) -> UInt64 {
        var reached: UInt64 = 0
        var frontier = leadsTo[start]
        while frontier & ~reached != 0 {
            let new = frontier & ~reached
            reached |= new
            frontier = 0
            var classes = new
            while classes != 0 {
                frontier |= leadsTo[classes.trailingZeroBitCount]
                classes &= classes - 1
            }
        }
        return reached
    }
}

/// A class of locks: every lock that protects one kind of state (the frame allocator, a run
/// queue, a pipe) belongs to one, named for it.
public struct LockClass: Hashable, Sendable {
    /// Its number in the validator.
    public let index: Int
    public let name: StaticString

    /// Class `index` named `name`: ``LockOrderValidator/register(_:)`` makes them; a lock the
    /// validator never sees (the innermost, which guard the validator itself) makes its own.
    public init(index: Int, name: StaticString) {
        self.index = index
        self.name = name
    }

    public static func == (a: LockClass, b: LockClass) -> Bool { a.index == b.index }
    public func hash(into hasher: inout Hasher) { hasher.combine(index) }
}

/// An acquire the ``LockOrderValidator`` refuses.
public enum LockOrderViolation: Equatable, Sendable, CustomStringConvertible {
    /// `cpu` wants a lock of a class it already holds.
    case doubleAcquire(StaticString, cpu: CPUIndex)
    /// A CPU holding `holding` wants `acquiring`, but `acquiring` was held before when
    /// `holding` (or a lock leading to it) was taken: the two orders can deadlock.
    case inversion(holding: StaticString, acquiring: StaticString)

    public static func == (a: LockOrderViolation, b: LockOrderViolation) -> Bool {
        switch (a, b) {
        case let (.doubleAcquire(x, c), .doubleAcquire(y, d)): same(x, y) && c == d
        case let (.inversion(x1, x2), .inversion(y1, y2)): same(x1, y1) && same(x2, y2)
        default: false
        }
    }

    /// Whether two names have the same bytes.
    private static func same(_ a: StaticString, _ b: StaticString) -> Bool {
        a.withUTF8Buffer { first in b.withUTF8Buffer { second in first.elementsEqual(second) } }
    }

    public var description: String {
        switch self {
        case .doubleAcquire(let name, let cpu):
            "CPU \(cpu) acquires the lock of \(name) a second time while it holds it"
        case .inversion(let holding, let acquiring):
            "lock order inversion: \(acquiring) acquired while holding \(holding), but \(holding) was acquired while holding \(acquiring) before"
        }
    }
}
