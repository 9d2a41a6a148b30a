import ApusTool
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program on this host the way a shell would start it, for the tests that compare
/// Apus with Linux: with `posix_spawn`, descriptors 0, 1 and 2 alone, every signal unblocked
/// and at its default action. A
/// test process's threads block signals and `Foundation.Process` passes that mask on, so a
/// shell started that way waits forever for its children (SIGCHLD) and a program's own
/// handlers never run.
enum HostSpawn {
    /// What `path` with `arguments` (argv[1…]) printed on standard output, and its wait
    /// status, run in `directory` with `environment` ("NAME=VALUE"), standard input empty and
    /// standard error thrown away.
    static func run(_ path: String, _ arguments: [String], in directory: String, environment: [String] = []) throws -> (output: [UInt8], status: Int32) {
        #if os(Linux)
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw ToolError("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Only 0, 1 and 2 open, as on Apus: a descriptor the test process left open (under
        // load, one of many) would answer for a number the program expects to be closed.
        closeFrom3(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        // /bin/sh goes to the folder first and becomes the program (exec keeps the mask).
        let words = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory, path] + arguments
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, "/bin/sh", &actions, &attributes, &argv, &envp)
        close(pipe[1])
        defer { close(pipe[0]) }
        guard spawned == 0 else { throw ToolError("\(path): \(String(cString: strerror(spawned)))") }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(pipe[0], $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            output += chunk[0..<count]
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0, errno == EINTR {}
        return (output, status)
        #else
        throw ToolError("programs compared with the host's run on Linux only")
        #endif
    }

    #if os(Linux)
    /// Adds "close every descriptor from 3 on" to `actions`: glibc's
    /// `posix_spawn_file_actions_addclosefrom_np` (2.34), which Swift's Glibc module does
    /// not declare, or else a close for each descriptor open now.
    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
            return
        }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let descriptor = Int32(entry), descriptor > 2 { posix_spawn_file_actions_addclose(&actions, descriptor) }
        }
    }
    #endif
}
