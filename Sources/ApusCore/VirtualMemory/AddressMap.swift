/// An ordered map from 64-bit addresses to values: the structure that holds a process's
/// regions, keyed by their start.
///
/// A program may have a hundred thousand mappings, and every `mmap`, `munmap` and
/// `accessOK` asks "which region holds this address?". A sorted array would answer in
/// O(log n) but pay O(n) to insert; so this is an AVL tree (Adelson-Velsky and Landis, 1962),
/// whose subtrees differ in height by at most one, making lookup, insertion and removal all
/// O(log n).
///
/// Each entry is one node of its own, a fixed-size block of the kernel heap linked to its
/// children by plain pointers: no object and no reference counting per node, and nothing
/// that ever grows. That is what the kernel heap needs from a structure a program fills:
///
/// * the memory it holds is one node per entry, always (no spare room to give back later),
///   so a budget of entries is a budget of bytes (``nodeBytes``);
/// * every allocation is one small block, which the heap serves from any free page: no
///   request for a large contiguous run that a fragmented heap might not have;
/// * removing an entry frees its node and allocates nothing, so `munmap` works however full
///   the heap is.
///
/// The map owns its nodes (`~Copyable`): when it goes, they go. ``copy()`` makes a second
/// map with nodes of its own (`fork`).
public struct AddressMap<Value>: ~Copyable {
    private struct Node {
        var key: UInt64
        var left: UnsafeMutablePointer<Node>?
        var right: UnsafeMutablePointer<Node>?
        var height: Int8
        var value: Value
    }

    private var root: UnsafeMutablePointer<Node>?

    /// The number of entries.
    public private(set) var count = 0
    /// Nodes this map has allocated since it was made (a measure for tests: removing
    /// entries must not raise it).
    private(set) var nodeAllocations = 0

    public init() {}

    deinit { Self.free(root) }

    /// The bytes one entry's node takes (before the heap rounds the block up).
    public static var nodeBytes: Int { MemoryLayout<Node>.stride }

    public var isEmpty: Bool { count == 0 }

    /// The height of the tree: the longest path from the root, in nodes.
    var height: Int { Int(Self.height(root)) }

    /// The value stored under exactly `key`.
    public func value(at key: UInt64) -> Value? {
        var node = root
        while let current = node {
            if key == current.pointee.key { return current.pointee.value }
            node = key < current.pointee.key ? current.pointee.left : current.pointee.right
        }
        return nil
    }

    /// Changes the value under `key` in place with `body`; `false` when there is none.
    /// Allocates nothing.
    @discardableResult
    public mutating func modifyValue(at key: UInt64, _ body: (inout Value) -> Void) -> Bool {
        var node = root
        while let current = node {
            if key == current.pointee.key {
                body(&current.pointee.value)
                return true
            }
            node = key < current.pointee.key ? current.pointee.left : current.pointee.right
        }
        return false
    }

    /// The entry with the greatest key `<= key`: for regions, the only one that can contain
    /// the address `key`.
    public func floor(_ key: UInt64) -> (key: UInt64, value: Value)? {
        var node = root
        var best: UnsafeMutablePointer<Node>?
        while let current = node {
            if current.pointee.key == key { return (key, current.pointee.value) }
            if current.pointee.key < key {
                best = current
                node = current.pointee.right
            } else {
                node = current.pointee.left
            }
        }
        return best.map { ($0.pointee.key, $0.pointee.value) }
    }

    /// The entry with the smallest key `>= key`.
    public func ceiling(_ key: UInt64) -> (key: UInt64, value: Value)? {
        var node = root
        var best: UnsafeMutablePointer<Node>?
        while let current = node {
            if current.pointee.key == key { return (key, current.pointee.value) }
            if current.pointee.key > key {
                best = current
                node = current.pointee.left
            } else {
                node = current.pointee.right
            }
        }
        return best.map { ($0.pointee.key, $0.pointee.value) }
    }

    /// Stores `value` under `key`, which must not be present yet.
    public mutating func insert(_ value: Value, at key: UInt64) {
        let node = UnsafeMutablePointer<Node>.allocate(capacity: 1)
        node.initialize(to: Node(key: key, left: nil, right: nil, height: 1, value: value))
        nodeAllocations += 1
        root = Self.insert(node, into: root)
        count += 1
    }

    /// Removes and returns the value under `key`, or returns `nil` when there is none. Its
    /// node is freed; nothing is allocated.
    @discardableResult
    public mutating func remove(at key: UInt64) -> Value? {
        var removed: UnsafeMutablePointer<Node>?
        root = Self.remove(key, from: root, removed: &removed)
        guard let removed else { return nil }
        count -= 1
        let value = removed.move().value
        removed.deallocate()
        return value
    }

    /// A second map with the same entries in nodes of its own.
    public func copy() -> AddressMap<Value> {
        var copy = AddressMap()
        copy.root = Self.copy(root, allocations: &copy.nodeAllocations)
        copy.count = count
        return copy
    }

    /// Calls `body` with every entry in key order. It needs no memory: the walk recurses
    /// (an AVL tree of n entries is at most 1.44 log2 n deep, 25 for 131,072).
    public func forEach<Failure: Error>(_ body: (UInt64, Value) throws(Failure) -> Void) throws(Failure) {
        try Self.walk(root, body)
    }

    /// Checks the AVL invariants (keys in order, heights right, balance within one, count
    /// right); for tests. Returns a description of the first violation, or `nil`.
    public func invariantViolation() -> String? {
        var seen = 0
        func check(_ node: UnsafeMutablePointer<Node>?, above lower: UInt64?, below upper: UInt64?) -> (height: Int, violation: String?) {
            guard let node else { return (0, nil) }
            seen += 1
            let key = node.pointee.key
            if let lower, key <= lower { return (0, "key \(key) not above \(lower)") }
            if let upper, key >= upper { return (0, "key \(key) not below \(upper)") }
            let left = check(node.pointee.left, above: lower, below: key)
            if let violation = left.violation { return (0, violation) }
            let right = check(node.pointee.right, above: key, below: upper)
            if let violation = right.violation { return (0, violation) }
            if abs(left.height - right.height) > 1 { return (0, "unbalanced at key \(key)") }
            let height = 1 + max(left.height, right.height)
            if Int(node.pointee.height) != height { return (0, "stale height at key \(key)") }
            return (height, nil)
        }
        if let violation = check(root, above: nil, below: nil).violation { return violation }
        return seen == count ? nil : "count \(count) but \(seen) nodes reachable"
    }

    // MARK: - AVL machinery

    private static func walk<Failure: Error>(_ node: UnsafeMutablePointer<Node>?, _ body: (UInt64, Value) throws(Failure) -> Void) throws(Failure) {
        guard let node else { return }
        try walk(node.pointee.left, body)
        try body(node.pointee.key, node.pointee.value)
        try walk(node.pointee.right, body)
    }

    private static func free(_ node: UnsafeMutablePointer<Node>?) {
        guard let node else { return }
        free(node.pointee.left)
        free(node.pointee.right)
        node.deinitialize(count: 1)
        node.deallocate()
    }

    private static func copy(_ node: UnsafeMutablePointer<Node>?, allocations: inout Int) -> UnsafeMutablePointer<Node>? {
        guard let node else { return nil }
        let twin = UnsafeMutablePointer<Node>.allocate(capacity: 1)
        allocations += 1
        twin.initialize(to: node.pointee)
        twin.pointee.left = copy(node.pointee.left, allocations: &allocations)
        twin.pointee.right = copy(node.pointee.right, allocations: &allocations)
        return twin
    }

    private static func height(_ node: UnsafeMutablePointer<Node>?) -> Int8 {
        node?.pointee.height ?? 0
    }

    private static func updateHeight(_ node: UnsafeMutablePointer<Node>) {
        node.pointee.height = 1 + max(height(node.pointee.left), height(node.pointee.right))
    }

    private static func rotateRight(_ top: UnsafeMutablePointer<Node>) -> UnsafeMutablePointer<Node> {
        let pivot = top.pointee.left!
        top.pointee.left = pivot.pointee.right
        pivot.pointee.right = top
        updateHeight(top)
        updateHeight(pivot)
        return pivot
    }

    private static func rotateLeft(_ top: UnsafeMutablePointer<Node>) -> UnsafeMutablePointer<Node> {
        let pivot = top.pointee.right!
        top.pointee.right = pivot.pointee.left
        pivot.pointee.left = top
        updateHeight(top)
        updateHeight(pivot)
        return pivot
    }

    /// Restores balance at `node` after one of its subtrees changed height by one, and
    /// returns the subtree's new root.
    private static func rebalance(_ node: UnsafeMutablePointer<Node>) -> UnsafeMutablePointer<Node> {
        updateHeight(node)
        let balance = Int(height(node.pointee.left)) - Int(height(node.pointee.right))
        if balance > 1 {
            let left = node.pointee.left!
            if height(left.pointee.left) < height(left.pointee.right) { node.pointee.left = rotateLeft(left) }
            return rotateRight(node)
        }
        if balance < -1 {
            let right = node.pointee.right!
            if height(right.pointee.right) < height(right.pointee.left) { node.pointee.right = rotateRight(right) }
            return rotateLeft(node)
        }
        return node
    }

    private static func insert(_ new: UnsafeMutablePointer<Node>, into node: UnsafeMutablePointer<Node>?) -> UnsafeMutablePointer<Node> {
        guard let node else { return new }
        precondition(new.pointee.key != node.pointee.key, "key already in the address map")
        if new.pointee.key < node.pointee.key {
            node.pointee.left = insert(new, into: node.pointee.left)
        } else {
            node.pointee.right = insert(new, into: node.pointee.right)
        }
        return rebalance(node)
    }

    /// Unlinks the node under `key` from the subtree at `node` into `removed`; returns the
    /// subtree's new root.
    private static func remove(_ key: UInt64, from node: UnsafeMutablePointer<Node>?,
                               removed: inout UnsafeMutablePointer<Node>?) -> UnsafeMutablePointer<Node>? {
        guard let node else { return nil }
        if key < node.pointee.key {
            node.pointee.left = remove(key, from: node.pointee.left, removed: &removed)
        } else if key > node.pointee.key {
            node.pointee.right = remove(key, from: node.pointee.right, removed: &removed)
        } else {
            removed = node
            guard let left = node.pointee.left, let right = node.pointee.right else {
                return node.pointee.left ?? node.pointee.right
            }
            // Two children: the smallest node of the right subtree takes this one's place.
            let (rest, successor) = detachMinimum(from: right)
            successor.pointee.left = left
            successor.pointee.right = rest
            return rebalance(successor)
        }
        return rebalance(node)
    }

    /// Unlinks the smallest node of the subtree at `node`; returns the subtree's new root
    /// and the unlinked node.
    private static func detachMinimum(from node: UnsafeMutablePointer<Node>) -> (root: UnsafeMutablePointer<Node>?, minimum: UnsafeMutablePointer<Node>) {
        guard let left = node.pointee.left else { return (node.pointee.right, node) }
        let (rest, minimum) = detachMinimum(from: left)
        node.pointee.left = rest
        return (rebalance(node), minimum)
    }
}
