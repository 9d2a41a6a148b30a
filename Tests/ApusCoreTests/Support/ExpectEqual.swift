import Testing

/// Expects `actual == expected`, as `#expect(actual == expected)` does, and reports a failure
/// the same way: both values, the comment, and the caller's line. A function, not a macro at
/// each call: the tests compare thousands of values, and each `#expect` is a macro expansion
/// the compiler type-checks on its own (docs/testing.md, "What the tests cost to build").
func expectEqual<Value: Equatable>(_ actual: Value, _ expected: Value, _ comment: @autoclosure () -> Comment? = nil,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual == expected, comment(), sourceLocation: sourceLocation)
}
