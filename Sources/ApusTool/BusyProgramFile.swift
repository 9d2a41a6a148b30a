import Foundation

extension Process {
    /// Starts the process as `run()` does, but while its program file is busy (ETXTBSY), tries
    /// again, for up to a second. A program file written a moment ago is busy while any
    /// process still holds it open for writing, and a child that another thread of this
    /// process is starting holds a copy of every descriptor, the writer's too, until its own
    /// program starts: on a loaded machine, milliseconds after the writer closed the file.
    func runWaitingWhileBusy() throws {
        var tries = 1
        while true {
            do {
                return try run()
            } catch where Self.isProgramFileBusy(error) && tries < 20 {
                tries += 1
                usleep(50_000)
            }
        }
    }

    /// True when `error`, from `run()`, says that the program file was busy.
    static func isProgramFileBusy(_ error: any Error) -> Bool {
        posixCode(of: error) == ETXTBSY
    }

    /// Why `run()` failed, in the system's words ("Text file busy", "Exec format error")
    /// rather than Foundation's ("The operation could not be completed").
    static func reason(_ error: any Error) -> String {
        guard let code = posixCode(of: error) else { return error.localizedDescription }
        return String(cString: strerror(code))
    }

    private static func posixCode(of error: any Error) -> Int32? {
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain { return Int32(error.code) }
        guard let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain else { return nil }
        return Int32(underlying.code)
    }
}
