import Foundation

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
    /// The children still watched, by their watcher's pipe end.
    nonisolated(unsafe) private static var liveChildren: [Int32: pid_t] = [:]

    private let process = Process()
    private let watcher = Process()
    private let exited = DispatchSemaphore(value: 0)
    /// Signalled when the watcher has ended (Foundation's `waitUntilExit` looks only every
    /// 50 ms, a sixth of a warm run).
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
        Self.liveChildren[watch.write] = process.processIdentifier
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
        Self.liveChildren[watchEnd] = nil
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
        liveChildren.removeAll()
    }

    /// Sends `signal` to every child still watched.
    static func signalAll(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        for child in liveChildren.values { kill(child, signal) }
    }
}
