import ApusTool
import ArgumentParser
import Foundation

/// `apus test`: the system tests, one line per case.
struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the system tests (Apus in QEMU), one line per case.",
        discussion: """
            FILTER narrows the run to the cases whose name contains it (a regular expression). The exit \
            status is the test run's. The tests boot Apus under software emulation, so they give the \
            same answer with KVM or without.

            Examples:
              apus test                         every system test
              apus test Pipe                    the cases whose name contains Pipe
              apus test 'ProcessTests|Fork'     a regular expression
              APUS_PAGER=eager apus test PagerDependent   the tests that depend on the pager, eager
            """)

    @Argument(help: "Run only the cases whose name matches this.")
    var filter: String?

    func run() throws {
        let lines = LineCollector { line in if Self.isCaseLine(line) { print(line) } }
        let status = try runReadingOutput(URL(fileURLWithPath: "/usr/bin/env"),
                                          ["swift", "test", "--package-path", Workspace.current.root.path,
                                           "--filter", "ApusSystemTests" + (filter.map { ".*\($0)" } ?? "")],
                                          onData: lines.append)
        lines.finish()
        if status != 0 { throw ExitCode(status) }
    }

    /// The lines worth a person's attention: a case passing or failing, what it recorded,
    /// the summary, and build errors.
    static func isCaseLine(_ line: String) -> Bool {
        line.hasPrefix("✔ Test ") || line.hasPrefix("✘ Test ")
            || line.hasPrefix("↳ ") && !line.hasPrefix("↳ ///") && !line.hasPrefix("↳ Testing Library") && !line.hasPrefix("↳ Target Platform")
            || line.hasPrefix("✔ Test run") || line.hasPrefix("✘ Test run") || line.contains("error:")
    }
}
