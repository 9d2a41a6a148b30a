import Foundation

/// A list appended to from several threads and read once they are done.
final class LockedList<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private var elements: [Element] = []

    func append(_ element: Element) {
        lock.withLock { elements.append(element) }
    }

    var items: [Element] { lock.withLock { elements } }
}
