/// An ordered map from 64-bit addresses to values: the structure that holds a process's
/// regions, keyed by their start.
///
/// A program may have a hundred thousand mappings, and every `mmap`, `munmap` and
/// `accessOK` asks "which region holds this address?". A sorted array would answer in
/// O(log n) but pay O(n) to insert; so this is an AVL tree (Adelson-Velsky and Landis, 1962),
/// whose subtrees differ in height by at most one, making lookup, insertion and removal all
/// O(log n).
///
/// The nodes live in one array and point at each other by index, not by reference: no
/// object per node, no reference counting while walking, and freed slots are reused. That
/// suits the Embedded build, where every class instance is a heap allocation. The values
/// sit in a parallel array, so a search touches only the small nodes (16 bytes each) and
/// never copies a value it passes by.
public struct AddressMap<Value> {
    private struct Node {
        var key: UInt64
        var left: Int32
        var right: Int32
        var height: Int8
    }

    private static var none: Int32 { -1 }

    private var nodes: [Node] = []
    private var values: [Value?] = []
    private var vacant: [Int32] = []
    private var root: Int32 = AddressMap.none

    /// The number of entries.
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    /// The height of the tree: the longest path from the root, in nodes.
    var height: Int { Int(height(root)) }

    /// The value stored under exactly `key`.
    public func value(at key: UInt64) -> Value? {
        var index = root
        while index != Self.none {
            let node = nodes[Int(index)]
            if key == node.key { return values[Int(index)] }
            index = key < node.key ? node.left : node.right
        }
        return nil
    }

    /// The entry with the greatest key `<= key`: for regions, the only one that can contain
    /// the address `key`.
    public func floor(_ key: UInt64) -> (key: UInt64, value: Value)? {
        var index = root
        var best = Self.none
        while index != Self.none {
            let node = nodes[Int(index)]
            if node.key == key { return (node.key, values[Int(index)]!) }
            if node.key < key {
                best = index
                index = node.right
            } else {
                index = node.left
            }
        }
        return best == Self.none ? nil : (nodes[Int(best)].key, values[Int(best)]!)
    }

    /// The entry with the smallest key `>= key`.
    public func ceiling(_ key: UInt64) -> (key: UInt64, value: Value)? {
        var index = root
        var best = Self.none
        while index != Self.none {
            let node = nodes[Int(index)]
            if node.key == key { return (node.key, values[Int(index)]!) }
            if node.key > key {
                best = index
                index = node.left
            } else {
                index = node.right
            }
        }
        return best == Self.none ? nil : (nodes[Int(best)].key, values[Int(best)]!)
    }

    /// Stores `value` under `key`, which must not be present yet.
    public mutating func insert(_ value: Value, at key: UInt64) {
        root = insert(key, value, into: root)
        count += 1
    }

    /// Removes and returns the value under `key`, or returns `nil` when there is none.
    @discardableResult
    public mutating func remove(at key: UInt64) -> Value? {
        var removed: Value?
        root = remove(key, from: root, removed: &removed)
        if removed != nil {
            count -= 1
            shrinkIfSparse()
        }
        return removed
    }

    /// The slots the map keeps room for (its arrays' capacity), used or not.
    var reservedSlots: Int { nodes.capacity }

    /// Slots a map may keep beyond twice its entries before it gives the room back.
    private static var spareSlots: Int { 64 }

    /// Gives back the room of entries removed long ago. Freed slots are reused, but the arrays
    /// never shrank on their own: a process that once held 131,072 regions kept their room
    /// (about 10 MiB of kernel heap) after unmapping them all, outside any budget, and a few
    /// such processes filled the heap. So the map never keeps more than twice its entries
    /// (and ``spareSlots``): past that it is rebuilt with room for half as many again as it
    /// holds. Between two rebuilds of a map of n entries come about n/4 removals or n/2
    /// insertions, so the cost per call stays O(log n).
    private mutating func shrinkIfSparse() {
        guard nodes.capacity > 2 * count + Self.spareSlots else { return }
        var compact = AddressMap()
        compact.nodes.reserveCapacity(count + count / 2)
        compact.values.reserveCapacity(count + count / 2)
        forEach { (key, value) in compact.insert(value, at: key) }
        self = compact
    }

    /// Calls `body` with every entry in key order.
    public func forEach<Failure: Error>(_ body: (UInt64, Value) throws(Failure) -> Void) throws(Failure) {
        var stack: [Int32] = []
        var index = root
        while index != Self.none || !stack.isEmpty {
            while index != Self.none {
                stack.append(index)
                index = nodes[Int(index)].left
            }
            index = stack.removeLast()
            try body(nodes[Int(index)].key, values[Int(index)]!)
            index = nodes[Int(index)].right
        }
    }

    /// Checks the AVL invariants (keys in order, heights right, balance within one, count
    /// right); for tests. Returns a description of the first violation, or `nil`.
    public func invariantViolation() -> String? {
        var seen = 0
        func check(_ index: Int32, above lower: UInt64?, below upper: UInt64?) -> (height: Int, violation: String?) {
            guard index != Self.none else { return (0, nil) }
            seen += 1
            let node = nodes[Int(index)]
            if let lower, node.key <= lower { return (0, "key \(node.key) not above \(lower)") }
            if let upper, node.key >= upper { return (0, "key \(node.key) not below \(upper)") }
            let left = check(node.left, above: lower, below: node.key)
            if let violation = left.violation { return (0, violation) }
            let right = check(node.right, above: node.key, below: upper)
            if let violation = right.violation { return (0, violation) }
            if abs(left.height - right.height) > 1 { return (0, "unbalanced at key \(node.key)") }
            let height = 1 + max(left.height, right.height)
            if Int(node.height) != height { return (0, "stale height at key \(node.key)") }
            return (height, nil)
        }
        if let violation = check(root, above: nil, below: nil).violation { return violation }
        return seen == count ? nil : "count \(count) but \(seen) nodes reachable"
    }

    // MARK: - AVL machinery

    private func height(_ index: Int32) -> Int8 {
        index == Self.none ? 0 : nodes[Int(index)].height
    }

    private mutating func updateHeight(_ index: Int32) {
        let node = nodes[Int(index)]
        nodes[Int(index)].height = 1 + max(height(node.left), height(node.right))
    }

    private mutating func rotateRight(_ top: Int32) -> Int32 {
        let pivot = nodes[Int(top)].left
        nodes[Int(top)].left = nodes[Int(pivot)].right
        nodes[Int(pivot)].right = top
        updateHeight(top)
        updateHeight(pivot)
        return pivot
    }

    private mutating func rotateLeft(_ top: Int32) -> Int32 {
        let pivot = nodes[Int(top)].right
        nodes[Int(top)].right = nodes[Int(pivot)].left
        nodes[Int(pivot)].left = top
        updateHeight(top)
        updateHeight(pivot)
        return pivot
    }

    /// Restores balance at `index` after one of its subtrees changed height by one, and
    /// returns the subtree's new root.
    private mutating func rebalance(_ index: Int32) -> Int32 {
        updateHeight(index)
        let left = nodes[Int(index)].left
        let right = nodes[Int(index)].right
        let balance = Int(height(left)) - Int(height(right))
        if balance > 1 {
            if height(nodes[Int(left)].left) < height(nodes[Int(left)].right) {
                nodes[Int(index)].left = rotateLeft(left)
            }
            return rotateRight(index)
        }
        if balance < -1 {
            if height(nodes[Int(right)].right) < height(nodes[Int(right)].left) {
                nodes[Int(index)].right = rotateRight(right)
            }
            return rotateLeft(index)
        }
        return index
    }

    private mutating func makeNode(_ key: UInt64, _ value: Value) -> Int32 {
        let node = Node(key: key, left: Self.none, right: Self.none, height: 1)
        if let index = vacant.popLast() {
            nodes[Int(index)] = node
            values[Int(index)] = value
            return index
        }
        precondition(nodes.count < Int(Int32.max), "address map full")
        nodes.append(node)
        values.append(value)
        return Int32(nodes.count - 1)
    }

    private mutating func insert(_ key: UInt64, _ value: Value, into index: Int32) -> Int32 {
        guard index != Self.none else { return makeNode(key, value) }
        let nodeKey = nodes[Int(index)].key
        precondition(key != nodeKey, "key already in the address map")
        if key < nodeKey {
            let child = insert(key, value, into: nodes[Int(index)].left)
            nodes[Int(index)].left = child
        } else {
            let child = insert(key, value, into: nodes[Int(index)].right)
            nodes[Int(index)].right = child
        }
        return rebalance(index)
    }

    private mutating func remove(_ key: UInt64, from index: Int32, removed: inout Value?) -> Int32 {
        guard index != Self.none else { return Self.none }
        let nodeKey = nodes[Int(index)].key
        if key < nodeKey {
            let child = remove(key, from: nodes[Int(index)].left, removed: &removed)
            nodes[Int(index)].left = child
        } else if key > nodeKey {
            let child = remove(key, from: nodes[Int(index)].right, removed: &removed)
            nodes[Int(index)].right = child
        } else {
            removed = values[Int(index)].take()
            let left = nodes[Int(index)].left
            let right = nodes[Int(index)].right
            release(index)
            guard left != Self.none, right != Self.none else {
                return left == Self.none ? right : left
            }
            // Two children: the smallest node of the right subtree takes this one's place.
            let (rest, successor) = detachMinimum(from: right)
            nodes[Int(successor)].left = left
            nodes[Int(successor)].right = rest
            return rebalance(successor)
        }
        return rebalance(index)
    }

    /// Unlinks the smallest node of the subtree at `index`; returns the subtree's new root
    /// and the unlinked node.
    private mutating func detachMinimum(from index: Int32) -> (root: Int32, minimum: Int32) {
        let left = nodes[Int(index)].left
        guard left != Self.none else { return (nodes[Int(index)].right, index) }
        let (rest, minimum) = detachMinimum(from: left)
        nodes[Int(index)].left = rest
        return (rebalance(index), minimum)
    }

    private mutating func release(_ index: Int32) {
        values[Int(index)] = nil // already taken when removed; drops the value otherwise
        vacant.append(index)
    }
}

