import ApusTool
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// The differential test of Linux programs (ABI.md §7): shell scripts, one per area of what a
/// shell user does (Fixtures/shell/NAME.sh: echo and printf, variables, control flow,
/// pipelines, redirections, the common applets, signals, jobs), run by busybox's `sh` on the
/// host and on Apus, must print the same bytes and exit with the same status.
///
/// `run-scripts.sh` runs the scripts named on its command line, each in a fresh folder as its
/// current directory, and prints one record per script: a line `@@@ NAME STATUS OUT ERR`
/// (the byte counts of its standard output and error), then those bytes. NAME.expected is the
/// record the host's busybox prints, checked in: the host test proves the scripts print it
/// (so they do not depend on the time, the user or the host's paths), and the Apus test
/// compares Apus's records with it, all scripts in one boot.
@Suite("Busybox scripts on the host and on Apus")
struct ShellDifferentialTests {
    static let folder = FileSystemProgramTests.fixtures.appendingPathComponent("shell")
    static let driver = "run-scripts"
    static let hostBusybox = "/usr/bin/busybox"

    /// The scripts that run on Apus as on the host: each must print the host's record there.
    static let passingOnApus = [
        "awk", "background_wait", "cat_wc_head_tail", "command_substitution", "control_flow", "cut_tr", "echo_printf",
        "exit_statuses", "file_commands", "find", "grep", "kill_child", "ls_l", "pipelines", "read_builtin", "redirections", "sed",
        "sha256sum", "sort_uniq", "stop_continue", "tar", "test_expr_seq", "trap", "variables_arithmetic", "xargs",
    ]

    /// Every script of the folder, by name (without `.sh`), sorted.
    static var scripts: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".sh") }.map { String($0.dropLast(3)) }.filter { $0 != driver }.sorted()
    }

    /// One script's record: its status and output as the driver prints them, and the bytes.
    struct Record: Equatable {
        var name: String
        var status: Int
        var bytes: [UInt8]
    }

    /// The records of the driver's output, in order; `nil` when it is not a list of records.
    static func records(_ output: [UInt8]) -> [Record]? {
        var records: [Record] = []
        var position = 0
        while position < output.count {
            guard let end = output[position...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let fields = String(decoding: output[position..<end], as: UTF8.self).split(separator: " ").map(String.init)
            guard fields.count == 5, fields[0] == "@@@", let status = Int(fields[2]), let out = Int(fields[3]), let err = Int(fields[4]),
                  end + 1 + out + err <= output.count else { return nil }
            let next = end + 1 + out + err
            records.append(Record(name: fields[1], status: status, bytes: Array(output[position..<next])))
            position = next
        }
        return records
    }

    /// The record NAME.expected holds.
    static func expected(_ name: String) throws -> Record {
        let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent("\(name).expected")))
        return try #require(records(bytes)?.first, "\(name).expected is not a record")
    }

    /// The driver's output for `names` run by the host's busybox, with an empty environment,
    /// in a fresh scratch folder. It is started with `posix_spawn`, every signal unblocked and
    /// at its default action: a test process's threads block signals, and a shell that
    /// inherited that mask would wait forever for its children (SIGCHLD) and never die of
    /// `kill`.
    static func runOnHost(_ names: [String]) throws -> [UInt8] {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("apus-shell-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        return try HostSpawn.run(hostBusybox, ["sh", folder.appendingPathComponent("\(driver).sh").path, folder.path, scratch.path] + names,
                                 in: scratch.path).output
    }

    @Test func everyScriptPrintsItsExpectedRecordWithTheHostsBusybox() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.hostBusybox),
                     "the differential test needs the host's busybox at \(Self.hostBusybox) (apt-get install busybox-static; .ci/run installs it)")
        let scripts = Self.scripts
        #expect(scripts.count >= 20)
        let records = try #require(Self.records(try Self.runOnHost(scripts)), "the driver's output is not a list of records")
        expectEqual(records.map(\.name), scripts)
        for record in records {
            let expected = try Self.expected(record.name)
            expectEqual(record, expected, "\(record.name): the host's busybox printed\n\(String(decoding: record.bytes, as: UTF8.self))")
        }
        let expectedFiles = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".expected") }
        expectEqual(Set(expectedFiles.map { String($0.dropLast(9)) }), Set(scripts), "a script without its record, or a record without its script")
    }

    @Test func theScriptsThatRunOnApusPrintTheHostsRecords() throws {
        let scripts = Self.scripts
        #expect(Set(Self.passingOnApus).isSubset(of: Set(scripts)), "passingOnApus names a script that does not exist")
        let waiting = scripts.filter { !Self.passingOnApus.contains($0) }
        print("busybox scripts on Apus: \(Self.passingOnApus.count) of \(scripts.count) expected to pass; not yet: \(waiting.joined(separator: ", "))")
        // APUS_SHELL_ALL=1 runs every script on Apus and reports each, failing only for the listed ones.
        let all = ProcessInfo.processInfo.environment["APUS_SHELL_ALL"] != nil
        let names = all ? scripts : Self.passingOnApus
        guard !names.isEmpty else { return }
        try #require(FileManager.default.isExecutableFile(atPath: Self.hostBusybox), "no busybox at \(Self.hostBusybox) to install in Apus")

        let rootfs = FileManager.default.temporaryDirectory.appendingPathComponent("apus-shell-rootfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: rootfs.appendingPathComponent("scripts"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: rootfs) }
        try FileManager.default.copyItem(atPath: Self.hostBusybox, toPath: rootfs.appendingPathComponent("busybox").path)
        for name in scripts + [Self.driver] {
            try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("\(name).sh"), to: rootfs.appendingPathComponent("scripts/\(name).sh"))
        }
        let result = try SystemUnderTest.run("busybox", ["sh", "/scripts/\(Self.driver).sh", "/scripts", "/tmp"] + names, rootfs: [rootfs])
        expectEqual(result.exitStatus, 0, "\(result.stderr)")
        let records = Self.records([UInt8](result.output)) ?? []
        var passed: [String] = []
        for name in names {
            let expected = try Self.expected(name)
            let record = records.first { $0.name == name }
            if record == expected { passed.append(name) }
            if Self.passingOnApus.contains(name) {
                expectEqual(record, expected, "\(name) on Apus printed\n\(record.map { String(decoding: $0.bytes, as: UTF8.self) } ?? "no record")")
            }
        }
        if all { print("busybox scripts that print the host's records on Apus: \(passed.joined(separator: ", "))") }
    }
}
