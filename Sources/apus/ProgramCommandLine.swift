/// The parts of `apus run` and `apus debug` command lines that the parser never sees: the
/// program's name and arguments as bytes.
///
/// Everything after the program's name is the program's, options included (`apus run argv
/// --repeat` gives `argv` the word `--repeat`); `--` ends the tool's options. The split looks
/// at each word once, and the parser gets only the words before the program's arguments, so
/// a command line of any length costs the parser the same.
struct ProgramCommandLine {
    /// What the parser gets: the subcommand, the options and the program's name.
    var parsed: [[UInt8]]
    /// The program's name, exactly.
    var program: [UInt8]?
    /// The program's arguments, exactly.
    var arguments: [[UInt8]] = []
    /// The `--argv0` value, exactly.
    var argv0: [UInt8]?

    /// This process's command line, split (set once, before the parser runs).
    nonisolated(unsafe) static var current = ProgramCommandLine(parsed: [])

    /// Options of `run` and `debug` that take a value (the next word, unless given as
    /// `--option=value`).
    static let optionsWithValues: Set<[UInt8]> = Set(["--rootfs", "--argv0", "--repeat", "--acceleration", "--pager", "--memory-map-picture", "--disk", "--crash-after-writes", "--trace-file", "--cpus", "--abi", "--env"].map { Array($0.utf8) })

    /// Options of `run` and `debug` that take no value.
    static let flags: Set<[UInt8]> = Set(["--verbose", "--stats", "--memory-map", "--trace", "--help"].map { Array($0.utf8) })

    /// Splits `words` (the command line without the tool's name): everything after the
    /// program's name is the program's.
    static func split(_ words: [[UInt8]]) -> ProgramCommandLine {
        var index = 0
        let subcommands: Set<[UInt8]> = Set(["run", "debug"].map { Array($0.utf8) })
        let others: Set<[UInt8]> = Set(["test", "boot", "bench", "build", "mkfs", "fsck", "ls", "cp", "help"].map { Array($0.utf8) })
        if let first = words.first {
            if others.contains(first) { return ProgramCommandLine(parsed: words) }
            if subcommands.contains(first) { index = 1 }
        }
        var result = ProgramCommandLine(parsed: Array(words[0..<index]))
        while index < words.count {
            var word = words[index]
            if word == Array("--".utf8) {
                index += 1
                break
            }
            guard word.first == UInt8(ascii: "-") else { break }
            // `--memory-map` takes a value only when one is given: a word that ends in .svg.
            if word == Array("--memory-map".utf8), index + 1 < words.count, words[index + 1].reversed().starts(with: Array(".svg".utf8).reversed()) {
                result.parsed += [Array("--memory-map-picture".utf8), words[index + 1]]
                index += 2
                continue
            }
            if word.starts(with: Array("--memory-map=".utf8)) { word = Array("--memory-map-picture=".utf8) + word.dropFirst(13) }
            // `--trace` takes a file only when one is given: a word with a dot or a slash
            // (a program's name has neither), or `--trace=FILE`.
            if word == Array("--trace".utf8), index + 1 < words.count, words[index + 1].contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "/") }) {
                word = Array("--trace-file".utf8)
            }
            if word.starts(with: Array("--trace=".utf8)) { word = Array("--trace-file=".utf8) + word.dropFirst(8) }
            if optionsWithValues.contains(word), index + 1 < words.count {
                let value = words[index + 1]
                if word == Array("--argv0".utf8) { result.argv0 = value }
                // A value that starts with a dash (`--repeat -1`) is the option's, not an option.
                result.parsed += value.first == UInt8(ascii: "-") ? [word + Array("=".utf8) + value] : [word, value]
                index += 2
            } else {
                result.parsed.append(word)
                if word.starts(with: Array("--argv0=".utf8)) { result.argv0 = Array(word.dropFirst(8)) }
                index += 1
            }
        }
        if index < words.count {
            result.program = words[index]
            result.parsed.append(words[index])
            result.arguments = Array(words[(index + 1)...])
        }
        return result
    }
}
