import ApusCore

extension ProgramRun {
    /// The program asked for is not in the root file system: the message names the files that
    /// are, the ones whose names are close first, and how to add a program.
    public struct NoSuchProgram: Error, CustomStringConvertible {
        public var name: [UInt8]
        /// Every file the run's root file system could hold (for `apus run`: every shipped
        /// program, built or not, the data files and the `--rootfs` files).
        public var files: [[UInt8]]

        /// The files whose names are close to `name` (a typing slip: at most a third of the
        /// letters wrong, at least one right; or one name inside the other), closest first.
        public var similarNames: [[UInt8]] {
            let lowered = Self.lowercased(name)
            let candidates: [(distance: Int, name: [UInt8])] = files.compactMap { file in
                let other = Self.lowercased(file)
                let distance = Self.editDistance(lowered, other)
                let contained = other.count >= 3 && Self.find(other, in: lowered) || lowered.count >= 3 && Self.find(lowered, in: other)
                guard distance <= max(1, min(lowered.count, other.count) / 3) || contained else { return nil }
                return (distance, file)
            }
            return candidates.sorted { $0.distance != $1.distance ? $0.distance < $1.distance : $0.name.lexicographicallyPrecedes($1.name) }
                .prefix(5).map(\.name)
        }

        public var description: String {
            let similar = similarNames.map(LogText.escaped)
            let hint = similar.isEmpty ? "" : " Did you mean \(similar.joined(separator: ", "))?"
            return """
                no program named \(LogText.escaped(name)) in the root file system.\(hint)
                  Its files: \(files.map(LogText.escaped).joined(separator: " "))
                  To run a program of your own: put NAME.c in Userland/programs (built when it is run), \
                or give the folder of a program built for Apus with --rootfs DIR.
                """
        }

        /// True when `needle` occurs in `haystack`.
        static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
            guard needle.count <= haystack.count else { return false }
            return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
        }

        static func lowercased(_ bytes: [UInt8]) -> [UInt8] {
            bytes.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
        }

        /// The Levenshtein distance: how many bytes to insert, delete or replace to turn `a`
        /// into `b`.
        static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
            var previous = Array(0...b.count)
            for (i, x) in a.enumerated() {
                var current = [i + 1] + Array(repeating: 0, count: b.count)
                for (j, y) in b.enumerated() {
                    current[j + 1] = Swift.min(previous[j] + (x == y ? 0 : 1), previous[j + 1] + 1, current[j] + 1)
                }
                previous = current
            }
            return previous[b.count]
        }
    }
}
