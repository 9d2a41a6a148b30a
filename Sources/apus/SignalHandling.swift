import ApusTool
import Foundation

/// A signal that ends the tool ends its QEMU too (the watcher would, once the tool is gone;
/// this also removes the run's private folder and puts the terminal's mode back), then the
/// tool exits as the signal would: with 128 + the signal's number.
func stopQEMUOnSignals() {
    for signalNumber in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler {
            Terminal.restore()
            Machine.stopEverything()
            exit(128 + signalNumber)
        }
        source.resume()
        signalSources.append(source)
    }
}

/// The sources that watch the signals: kept for the tool's whole life.
nonisolated(unsafe) private var signalSources: [DispatchSourceSignal] = []
