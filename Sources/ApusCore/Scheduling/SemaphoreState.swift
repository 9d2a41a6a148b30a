/// A counting semaphore: a number of units that threads take (`down`) and give (`up`), and
/// a thread that finds none waits until one is given.
///
/// Use a semaphore to count things that come and go (free slots in a buffer, items in it,
/// requests to serve), or to make one thread wait for another's signal: a semaphore that
/// starts at 0 is a one-way signal that is never lost, because an `up` that comes before
/// the `down` is kept in the count. Unlike a mutex, it has no owner: any thread may `up`.
///
/// What it guarantees:
/// * The units taken never exceed the units there were plus those given.
/// * **No lost signal**: an `up` with no one waiting is remembered in the count; an `up`
///   with waiters hands its unit straight to the one that has waited longest.
/// * **First come, first served** among waiters (the unit is handed over, never grabbed by a
///   latecomer).
///
/// The waiting itself is the scheduler's (the kernel's `Scheduler.down` and `up`).
public final class SemaphoreState {
    /// The threads waiting for a unit, in order.
    public let waiters: WaitQueue
    /// The units available now.
    public private(set) var value: Int

    public init(_ value: Int = 0, _ name: StaticString = "the semaphore is up") {
        precondition(value >= 0, "a semaphore starts with no fewer than 0 units")
        self.value = value
        waiters = WaitQueue(name)
    }

    /// `thread` takes a unit: `true` when it took one now; `false` when it was queued, and
    /// then it has its unit when it is woken (``up()`` hands it over).
    public func down(by thread: ThreadID) -> Bool {
        guard value == 0 else {
            value -= 1
            return true
        }
        waiters.add(thread)
        return false
    }

    /// Gives a unit: to the waiter that has waited longest (returned, for the caller to
    /// wake), or to the count when no one waits.
    public func up() -> ThreadID? {
        if let waiter = waiters.takeFirst() { return waiter }
        value += 1
        return nil
    }
}
