@testable import ApusTool
import Foundation
import Testing

/// The kernel package's one rule that its build states only cryptically: the kernel is one
/// Swift module (its sources and ApusCore's, through a link), and SwiftPM names each file's
/// object after the file, so two files of one name fail the build with "multiple producers".
@Suite("The kernel package")
struct KernelPackageTests {
    @Test func noTwoSwiftFilesOfTheKernelModuleShareAName() {
        let module = "Kernel/Sources/ApusKernel/"
        let paths = KernelBuild().inputs.lines.compactMap { line -> String? in
            guard line.hasPrefix("file \(module)") else { return nil }
            let path = String(line.dropFirst("file ".count).prefix { $0 != " " })
            return path.hasSuffix(".swift") ? path : nil
        }
        #expect(paths.contains("\(module)ApusCore/Paging/PageTable.swift"), "the core's files, through the link")
        let byName = Dictionary(grouping: paths) { $0.split(separator: "/").last.map(String.init) ?? $0 }
        let shared = byName.filter { $0.value.count > 1 }.values.map { $0.sorted().joined(separator: " and ") }.sorted()
        #expect(shared.isEmpty, "rename the kernel's file (Type+Subject.swift): \(shared.joined(separator: "; "))")
    }
}
