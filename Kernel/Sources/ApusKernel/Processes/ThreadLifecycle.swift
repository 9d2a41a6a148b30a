import X86_64Support

/// The first and last moments of a thread, which context_switch.S hands to Swift: a new thread is
/// about to leave for ring 3 (or run its kernel work) for the first time; an ended thread
/// switches away for good.
extension ProcessRun {
    /// A new thread is about to leave for ring 3 for the first time.
    func threadStarted() {
        if scheduler.current?.mustEnd == true { cpu_local_set_exit_pending() }
    }
}

/// context_switch.S: a new thread is about to leave for ring 3 for the first time.
@_cdecl("apus_thread_started")
public func apusThreadStarted() {
    Kernel.scheduler.reapEnded()
    LinuxPersonality.loadThreadPointer(Kernel.scheduler.current?.threadPointer ?? 0)
    if Kernel.scheduler.current?.process != nil { ProcessRun.current?.threadStarted() }
}

/// context_switch.S: the running thread ends (no Swift frame of it is left on its stack). Its
/// last switch holds no reference to anything: those stay in `prepareEndOfCurrent`, which
/// has returned, so nothing is kept alive by a stack no one will return to.
@_cdecl("apus_thread_exit")
public func apusThreadExit() {
    let target = endRunningThread()
    switch_context(target.save, target.load)
    fatalError("an ended thread ran again")
}

@inline(never)
private func endRunningThread() -> (save: UnsafeMutablePointer<UInt64>, load: UInt64) {
    Kernel.scheduler.prepareEndOfCurrent()
}
