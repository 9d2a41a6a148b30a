import Foundation

/// A value changed from one thread and read from another.
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    /// Runs `change` on the value, alone; returns what it returns.
    func update<Result>(_ change: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return change(&stored)
    }

    var value: Value { update { $0 } }
}
