import Foundation

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
