import Foundation

/// Reads a file descriptor to its end on a thread of its own, handing each chunk over as it
/// arrives: the one way the tool reads a child's output (a pipe is read by exactly one
/// reader, and never only after the child exits, when a full pipe could have blocked it).
final class StreamReader: @unchecked Sendable {
    private let descriptor: Int32
    private let done = DispatchSemaphore(value: 0)

    /// Starts reading `descriptor` (which the reader then owns and closes at its end).
    init(descriptor: Int32, onData: @escaping @Sendable (Data) -> Void) {
        self.descriptor = descriptor
        let thread = Thread { [descriptor, done] in
            _ = readChunks(from: descriptor) { onData(Data($0)) }
            close(descriptor)
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Waits until the stream has ended and every chunk was handed over.
    func join() {
        done.wait()
        done.signal()
    }
}

/// Reads `descriptor` to its end in 64 KiB chunks, retrying a read that a signal
/// interrupted, and hands each chunk to `body`; returns 0 at the end, or the `errno` of a
/// read that failed.
func readChunks(from descriptor: Int32, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows -> Int32 {
    let chunk = 1 << 16
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
    defer { buffer.deallocate() }
    while true {
        let count = read(descriptor, buffer, chunk)
        if count < 0 && errno == EINTR { continue }
        if count < 0 { return errno }
        if count == 0 { return 0 }
        try body(UnsafeRawBufferPointer(start: buffer, count: count))
    }
}

/// A pipe (a connected pair of sockets) whose two ends are closed on `exec`, atomically: a
/// child gets an end only as its standard input, output or error, never by accident while
/// another thread starts a process.
func makePipe() throws -> (read: Int32, write: Int32) {
    var ends: [Int32] = [0, 0]
    #if os(Linux)
    let made = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends)
    #else
    // Darwin's Foundation starts children with every other descriptor closed.
    let made = socketpair(AF_UNIX, SOCK_STREAM, 0, &ends)
    if made == 0 { for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) } }
    #endif
    guard made == 0 else {
        throw ToolError("cannot make a pipe: \(String(cString: strerror(errno)))")
    }
    shutdown(ends[0], Int32(SHUT_WR))
    shutdown(ends[1], Int32(SHUT_RD))
    return (ends[0], ends[1])
}

/// Runs `executable` with `arguments`, its standard output and error together on one pipe,
/// handing the output to `onData` as it arrives (from one reader thread); returns its exit
/// status once it has ended and all its output was handed over.
public func runReadingOutput(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                      onData: @escaping @Sendable (Data) -> Void) throws -> Int32 {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = try makePipe()
    let writer = FileHandle(fileDescriptor: pipe.write, closeOnDealloc: false)
    process.standardOutput = writer
    process.standardError = writer
    process.standardInput = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        close(pipe.read)
        close(pipe.write)
        throw error
    }
    close(pipe.write)
    let reader = StreamReader(descriptor: pipe.read, onData: onData)
    reader.join()
    process.waitUntilExit()
    return process.terminationStatus
}

/// A named pipe (FIFO) that QEMU writes a character device into, read as it is written.
///
/// The reader opens it first, then holds a write end of its own, so that the read side sees
/// its end only after ``finish()``: not before QEMU has opened it, nor while QEMU runs.
final class StreamingFIFO: @unchecked Sendable {
    private let readEnd: Int32
    private var ownWriteEnd: Int32
    private var reader: StreamReader?

    init(path: String) throws {
        guard mkfifo(path, 0o600) == 0 else { throw ToolError("cannot make the named pipe \(path): \(String(cString: strerror(errno)))") }
        readEnd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard readEnd >= 0 else { throw ToolError("cannot open the named pipe \(path): \(String(cString: strerror(errno)))") }
        ownWriteEnd = open(path, O_WRONLY | O_CLOEXEC)
        guard ownWriteEnd >= 0 else {
            close(readEnd)
            throw ToolError("cannot open the named pipe \(path): \(String(cString: strerror(errno)))")
        }
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) & ~O_NONBLOCK)
    }

    func start(onData: @escaping @Sendable (Data) -> Void) {
        reader = StreamReader(descriptor: readEnd, onData: onData)
    }

    /// Once the writer (QEMU) is gone: reads what is left, and returns at the end.
    func finish() {
        if ownWriteEnd >= 0 { close(ownWriteEnd); ownWriteEnd = -1 }
        reader?.join()
    }
}

/// A child process (QEMU) under a watcher that kills it the moment this process ends.
///
/// Beside the child runs a small shell that waits to read from a pipe whose only write end
/// this process keeps. When this process ends, for whatever reason (a signal it cannot catch
/// included), the kernel closes that end; the watcher reads end-of-file and kills the child.
/// So a killed `apus run` never leaves QEMU spinning. When the child ends normally, the
/// watcher is killed first, then its pipe closed.
final class WatchedProcess: @unchecked Sendable {
    /// The watcher: `$0` is the child's process id, the other arguments files to remove
    /// after it (the run's folder, its shared RAM).
    static let script = #"read -r _; kill -KILL "$0"; rm -rf "$@""#

    private static let lock = NSLock()
    nonisolated(unsafe) private static var liveWatchEnds: Set<Int32> = []

    private let process = Process()
    private let watcher = Process()
    private let exited = DispatchSemaphore(value: 0)
    /// Signalled when the watcher has ended: Foundation's `waitUntilExit` looks only every
    /// 50 ms, which was a sixth of a warm run.
    private let watcherExited = DispatchSemaphore(value: 0)
    private var watchEnd: Int32 = -1
    private var errors: StreamReader?
    private let errorBuffer = LockedData()

    init(executable: URL, arguments: [String], directory: URL, leftovers: [String] = []) throws {
        let errorPipe = try makePipe()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(fileDescriptor: errorPipe.write, closeOnDealloc: false)
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            close(errorPipe.read)
            close(errorPipe.write)
            throw ToolError("cannot start \(executable.path): \(error)")
        }
        close(errorPipe.write)
        let buffer = errorBuffer
        errors = StreamReader(descriptor: errorPipe.read) { buffer.append($0) }

        let watch: (read: Int32, write: Int32)
        do { watch = try makePipe() } catch {
            kill(process.processIdentifier, SIGKILL)
            throw error
        }
        watcher.executableURL = URL(fileURLWithPath: "/bin/sh")
        watcher.arguments = ["-c", Self.script, String(process.processIdentifier)] + leftovers
        watcher.standardInput = FileHandle(fileDescriptor: watch.read, closeOnDealloc: false)
        watcher.standardOutput = FileHandle.nullDevice
        watcher.standardError = FileHandle.nullDevice
        let watcherExited = self.watcherExited
        watcher.terminationHandler = { _ in watcherExited.signal() }
        Self.lock.lock()
        defer { Self.lock.unlock() }
        do {
            try watcher.run()
        } catch {
            close(watch.read)
            close(watch.write)
            kill(process.processIdentifier, SIGKILL)
            throw ToolError("cannot start the watcher of \(executable.path): \(error)")
        }
        close(watch.read)
        watchEnd = watch.write
        Self.liveWatchEnds.insert(watch.write)
    }

    deinit { dismissWatcher() }

    /// Waits for the child to end, at most `timeout` seconds (`nil`: no limit); true when it
    /// ended.
    func wait(timeout: TimeInterval?) -> Bool {
        let ended: Bool
        if let timeout {
            ended = exited.wait(timeout: .now() + timeout) == .success
        } else {
            exited.wait()
            ended = true
        }
        if ended {
            exited.signal()
            dismissWatcher()
        }
        return ended
    }

    /// Kills the child and waits for it to end.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        exited.wait()
        exited.signal()
        dismissWatcher()
    }

    /// Once the child has ended: the watcher goes first, then its pipe (so that it never
    /// kills a process id that is no longer the child's).
    private func dismissWatcher() {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        guard watchEnd >= 0 else { return }
        if watcher.isRunning { kill(watcher.processIdentifier, SIGKILL) }
        watcherExited.wait()
        if Self.liveWatchEnds.remove(watchEnd) != nil { close(watchEnd) }
        watchEnd = -1
    }

    /// The child's exit status (once it ended); 128 + n when signal n killed it.
    var terminationStatus: Int32 {
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Everything the child wrote to its standard error (once it ended).
    var errorText: String {
        errors?.join()
        return String(decoding: errorBuffer.data, as: UTF8.self)
    }

    /// Closes every watcher's pipe: each kills its child.
    static func stopAll() {
        lock.lock()
        defer { lock.unlock() }
        for descriptor in liveWatchEnds { close(descriptor) }
        liveWatchEnds.removeAll()
    }
}

/// Bytes appended from one thread and read from another.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()

    func append(_ data: Data) {
        lock.lock()
        bytes.append(data)
        lock.unlock()
    }

    var data: Data {
        lock.lock()
        defer { lock.unlock() }
        return bytes
    }
}

/// A private folder for one boot (mode 0700, made with `mkdtemp`), removed afterwards.
struct ScratchFolder {
    let url: URL
    private static let lock = NSLock()
    nonisolated(unsafe) private static var live: Set<String> = []

    init(in parent: URL?) throws {
        let base = (parent ?? FileManager.default.temporaryDirectory).path
        var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast()) + Array("apus-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ToolError("cannot make a folder in \(base): \(String(cString: strerror(errno)))")
        }
        url = URL(fileURLWithPath: String(cString: made), isDirectory: true)
        Self.lock.lock()
        Self.live.insert(url.path)
        Self.lock.unlock()
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Makes `name` in the folder a symbolic link to `target` (any path at all).
    func link(_ name: String, to target: URL) throws {
        guard symlink(target.path, path(name)) == 0 else {
            throw ToolError("cannot link \(target.path) into \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    func remove() {
        Self.lock.lock()
        Self.live.remove(url.path)
        Self.lock.unlock()
        try? FileManager.default.removeItem(at: url)
    }

    static func removeAll() {
        lock.lock()
        let folders = live
        live.removeAll()
        lock.unlock()
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
    }
}
