import ApusCore
import ApusTool
import Foundation
import Testing

extension PagerDependent {
    /// `apus run --memory-map`: the memory maps the kernel reports for `memmap`, a program with
    /// anonymous pages, a file mapping, program text and a stack, which forks.
    @Suite("Memory maps of a run")
    struct MemoryMapSystemTests {
        static func memmapRun() throws -> ProgramRun.Result {
            try SystemUnderTest.run("memmap") { $0.reportsMemoryMaps = true }
        }

        /// The table lines of `snapshot` for the regions `memmap` maps itself (the program's own
        /// segments depend on how the compiler laid it out).
        static func mappedRows(_ table: String) -> [String] {
            table.split(separator: "\n").map(String.init).filter { $0.contains("0x0000000010000000-") || $0.contains("0x0000000020000000-") }
        }

        @Test func theTableShowsEachProcessAtTheForkAndAtItsEnd() throws {
            let result = try Self.memmapRun()
            expectEqual(result.stdout, "abH\n")
            expectEqual(result.exitStatus, 0)
            let maps = result.memoryMaps
            try #require(maps.count == 4, "\(maps)")
            expectEqual(maps.map(\.process), [1, 2, 2, 1])
            expectEqual(maps.map(\.moment), [.fork, .fork, .end, .end])
            expectEqual(maps.map(\.parent), [0, 1, 1, 0])
            let tables = maps.map { MemoryMapTable.render($0, fileNames: result.fileNames) }
            // Anonymous pages: two of four touched (all four with the eager pager).
            let eager = SystemUnderTest.pager == .eager
            let touched = eager ? 4 : 2
            let anonymous = { (shared: Int) in
                "  0x0000000010000000-0x0000000010004000  16 KiB  rw-   anonymous                   \(touched)       \(shared)"
            }
            let file = { (shared: Int) in
                "  0x0000000020000000-0x0000000020001000   4 KiB  r--   file hello.txt +0x0         1       \(shared)"
            }
            // Right after the fork everything resident is shared, in both. The file's page is
            // the page cache's frame, so it stays shared (with the cache) throughout.
            expectEqual(Self.mappedRows(tables[0]), [anonymous(touched), file(1)], "\(tables[0])")
            expectEqual(Self.mappedRows(tables[1]), [anonymous(touched), file(1)], "\(tables[1])")
            // The child wrote one anonymous page: its own copy now.
            expectEqual(Self.mappedRows(tables[2]), [anonymous(touched - 1), file(1)], "\(tables[2])")
            // The parent ends after the child: its anonymous pages are its own again.
            expectEqual(Self.mappedRows(tables[3]), [anonymous(0), file(1)], "\(tables[3])")
            for table in tables {
                #expect(table.contains("0x0000000047470000-0x0000000047480000  64 KiB  rw-   stack"), "\(table)")
                #expect(table.contains("r-x   file memmap +0x"), "program text is the program file's: \(table)")
                #expect(table.hasPrefix("process "), "\(table)")
            }
            #expect(tables[0].contains("  range  ") && tables[0].contains("resident  shared"))
        }

        @Test func thePictureDrawsEveryMapAndEscapesNames() throws {
            let result = try Self.memmapRun()
            let svg = MemoryMapPicture.svg(result.memoryMaps, fileNames: result.fileNames)
            #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(svg.components(separatedBy: "after a fork").count - 1 == 2)
            #expect(svg.components(separatedBy: "at its end").count - 1 == 2)
            #expect(svg.contains("file hello.txt +0x0"))
            // A hostile name cannot break out of the picture's text.
            let hostile = MemoryMapPicture.svg(result.memoryMaps, fileNames: result.fileNames.mapValues { $0 == Array("hello.txt".utf8) ? Array("</text><script>\"&".utf8) : $0 })
            #expect(!hostile.contains("<script>"))
            #expect(hostile.contains("&lt;/text&gt;&lt;script&gt;&quot;&amp;"))
        }

        @Test func withoutTheOptionTheKernelReportsNoMaps() throws {
            let result = try SystemUnderTest.run("memmap")
            #expect(result.memoryMaps.isEmpty)
            expectEqual(result.stdout, "abH\n")
        }
    }
}
