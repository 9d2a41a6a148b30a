import Foundation

/// Runs `first` and `second` at once, each on a thread of its own, and returns what each
/// returned once both have ended; throws `first`'s error when it threw, else `second`'s.
public func atOnce<First: Sendable, Second: Sendable>(_ first: @Sendable () throws -> First,
                                                     _ second: @Sendable () throws -> Second) throws -> (First, Second) {
    let firstOutcome = LockedValue<Result<First, any Error>?>(nil)
    let secondOutcome = LockedValue<Result<Second, any Error>?>(nil)
    DispatchQueue.concurrentPerform(iterations: 2) { index in
        if index == 0 {
            let outcome = Result { try first() }
            firstOutcome.update { $0 = outcome }
        } else {
            let outcome = Result { try second() }
            secondOutcome.update { $0 = outcome }
        }
    }
    return (try firstOutcome.value!.get(), try secondOutcome.value!.get())
}
