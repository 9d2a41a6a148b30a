import Foundation

/// The two tiers of the system tests that scale with a size: every `swift test` runs a short
/// form, sized so that CI stays within its budget; `APUS_LONG_TESTS=1` runs the long form
/// (docs/testing.md).
enum TestTier {
    static let isLong = ProcessInfo.processInfo.environment["APUS_LONG_TESTS"] != nil

    /// `short` in every `swift test`, `long` with `APUS_LONG_TESTS=1`.
    static func count(short: Int, long: Int) -> Int { isLong ? long : short }
}
