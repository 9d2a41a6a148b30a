import ApusTool
import Foundation

/// The `apus` executable this test run was built with: SwiftPM builds it beside the test
/// bundle (the system tests depend on it), found through `/proc/self/exe`.
let apusExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("apus")

/// ``apusExecutable``; a test that runs the command fails when it is missing, never skips.
func requireApus() throws -> URL {
    guard FileManager.default.isExecutableFile(atPath: apusExecutable.path) else {
        throw ToolError("no apus executable at \(apusExecutable.path), beside the tests: `swift build` makes it, and `swift test` builds it before the tests")
    }
    return apusExecutable
}
