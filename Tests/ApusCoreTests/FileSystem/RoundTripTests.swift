import ApusCore
import Testing

/// A tree written, unmounted, checked and read back.
@Suite("Round trip")
struct RoundTripTests {
    @Test func aFreshImageMountsAndHoldsAFile() throws {
        let disk = try DiskMachine()
        expectEqual(disk.problems, [])
        let fs = try disk.mount()
        try fs.mkdir("/d")
        let inode = try fs.file("/d/f", pattern(10000))
        expectEqual(try fs.read(inode, at: 0, count: 20000), pattern(10000))
        try fs.unmount()
        expectEqual(disk.problems, [])
        let again = try disk.mount()
        expectEqual(try again.contents(of: path("/d/f")), pattern(10000))
        expectEqual(try again.names("/d"), [".", "..", "f"])
        try again.unmount()
    }
}
