import Foundation

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
