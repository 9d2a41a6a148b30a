@testable import apus
import Foundation
import Testing

/// Splitting `apus run` command lines: the program's name and arguments are bytes the parser
/// never sees.
@Suite("The program's command line")
struct ProgramCommandLineTests {
    static func words(_ words: [String]) -> [[UInt8]] { words.map { Array($0.utf8) } }

    @Test func everythingAfterTheProgramsNameIsTheProgramsOptionsIncluded() {
        let split = ProgramCommandLine.split(Self.words(["run", "--verbose", "--repeat", "3", "argv", "--repeat", "-x", "--"]))
        expectEqual(split.parsed, Self.words(["run", "--verbose", "--repeat", "3", "argv"]))
        expectEqual(split.program, Array("argv".utf8))
        expectEqual(split.arguments, Self.words(["--repeat", "-x", "--"]))
    }

    @Test func aDoubleDashEndsTheToolsOptionsAndRunIsTheDefault() {
        let split = ProgramCommandLine.split(Self.words(["--stats", "--", "--odd-name", "a"]))
        expectEqual(split.parsed, Self.words(["--stats", "--odd-name"]))
        expectEqual(split.program, Array("--odd-name".utf8))
        expectEqual(split.arguments, Self.words(["a"]))
    }

    @Test func argv0AndTheMemoryMapPictureAreRecognisedInBothSpellings() {
        let spaced = ProgramCommandLine.split(Self.words(["run", "--argv0", "/bin/ls", "--memory-map", "m.svg", "cow"]))
        expectEqual(spaced.argv0, Array("/bin/ls".utf8))
        expectEqual(spaced.parsed, Self.words(["run", "--argv0", "/bin/ls", "--memory-map-picture", "m.svg", "cow"]))
        let joined = ProgramCommandLine.split(Self.words(["run", "--argv0=x", "--memory-map=m.svg", "--memory-map", "cow"]))
        expectEqual(joined.argv0, Array("x".utf8))
        expectEqual(joined.parsed, Self.words(["run", "--argv0=x", "--memory-map-picture=m.svg", "--memory-map", "cow"]))
    }

    @Test(arguments: [["test", "Pipe", "--x"], ["ls", "-l", "disk.img", "/"], ["cp", "a", "disk.img:/a"], ["mkfs", "--force", "d.img"], ["fsck", "d.img"]])
    func otherSubcommandsGoToTheParserWhole(words: [String]) {
        let split = ProgramCommandLine.split(Self.words(words))
        expectEqual(split.parsed, Self.words(words))
        expectEqual(split.program, nil)
    }

    @Test(arguments: [0, 10, 20_000])
    func theParserGetsTheSameWordsHoweverManyArgumentsThereAre(count: Int) {
        let arguments = (0..<count).map { Array("a\($0)".utf8) }
        let split = ProgramCommandLine.split(Self.words(["run", "--stats", "argv"]) + arguments)
        expectEqual(split.parsed.count, 3)
        expectEqual(split.arguments, arguments)
    }

    @Test func argumentBytesThatAreNotUTF8ArePassedOnExactly() {
        let split = ProgramCommandLine.split([Array("argv".utf8), [0x78, 0xFF, 0x79], [0xC3, 0x28]])
        expectEqual(split.program, Array("argv".utf8))
        expectEqual(split.arguments, [[0x78, 0xFF, 0x79], [0xC3, 0x28]])
    }
}
