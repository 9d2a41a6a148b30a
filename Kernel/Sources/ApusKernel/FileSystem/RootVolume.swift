/// The root file system: the disk's KeOS file system (ABI.md §6), mounted at the start of a
/// run, synced at the end of every run, unmounted before the power goes.
///
/// Programs are loaded from it and `open` finds files on it by path; a machine without a
/// disk, or with an image the file system refuses, cannot run a program (the log says why,
/// the run reports it could not start). While it is mounted, its caches are the frame
/// allocator's reserve: the page cache grows into memory nobody else needs, up to half of
/// what is free at the mount, and leaves a sixteenth of it free for processes; when frames
/// run out all the same, the allocator takes clean pages back at once
/// (``CacheReclaimer``), and a call or fault that still finds none has dirty pages written
/// back and freed (``releaseFramesWritingBack()``) before it is refused memory.
enum RootVolume {
    /// The mounted file system; `nil` before the mount and after the unmount. Its caches,
    /// its journal and its deferred releases are kept to one thread by the file system lock
    /// (FileSystemLock.swift) and to one CPU by the kernel lock (``LockMap``), which every
    /// holder of the file system lock holds while it runs; the frame allocator's reclaimer
    /// reaches the caches only from an allocation, with the kernel lock held too.
    nonisolated(unsafe) private(set) static var fileSystem: FileSystem<DirectMap>? {
        didSet { unretained = fileSystem.map(Unmanaged.passUnretained) }
    }
    /// The same, for the hot path of every system call: reached without a reference count.
    nonisolated(unsafe) private static var unretained: Unmanaged<FileSystem<DirectMap>>?
    /// The disk's power-cut wrapper, when the boot asked for one.
    nonisolated(unsafe) private static var powerCut: PowerCutDisk?
    /// The page cache leaves at least this share of the free frames (1/N) to processes.
    static let reserveShare = 16
    /// Frames asked back from the caches at once when a call or fault runs out.
    static let writeBackBatch = 256
    /// The page cache's counts at the end of the run before (each run reports its own).
    nonisolated(unsafe) private static var readsBefore = 0, hitsBefore = 0

    /// Mounts the disk (`disk`, or the power-cut wrapper `crash-after-writes=N` asks for).
    /// Returns `nil` after reporting why when there is no disk or its file system is refused.
    static func mount(_ boot: Multiboot) -> FileSystem<DirectMap>? {
        guard let device = Kernel.disk else {
            RunReport.cannotRun("no disk: the root file system lives on a virtio block device, and this machine has none", .noDisk)
            return nil
        }
        var disk: any BlockDevice = device
        if let cut = boot.numericOption("crash-after-writes"), cut > 0 {
            log("disk: the power goes after block write \(cut) (crash-after-writes)")
            let wrapper = PowerCutDisk(device, cuttingAfterWrite: cut)
            powerCut = wrapper
            disk = wrapper
        }
        let frames = Kernel.memory.frames
        var options = FileSystem<DirectMap>.Options()
        let free = frames.freeCount
        options.pageCacheReserve = free / reserveShare
        options.pageCacheCapacity = max(min(free / 2, pageCacheKernelLimit), PageCache<DirectMap>.defaultCapacity)
        do throws(MountFailure) {
            let mounted = try FileSystem.mount(disk, frames: frames, options: options)
            fileSystem = mounted
            frames.reclaimer = CacheReclaimer(mounted)
            let orphans = mounted.orphansFreedAtMount > 0 ? "; \(mounted.orphansFreedAtMount) inodes unlinked while open freed" : ""
            log("disk: file system mounted (\(mounted.geometry)); page cache up to \(options.pageCacheCapacity) pages, leaving \(options.pageCacheReserve) frames free\(orphans)")
            return mounted
        } catch {
            RunReport.cannotRun("the disk's file system cannot be mounted: \(error.reason)", .diskRefused)
            return nil
        }
    }

    /// The end of run `run`: every dirty page and the running group of metadata changes on
    /// the disk, flushed, and what the page cache did reported. A failure is logged; the run's
    /// status stands.
    static func sync(afterRun run: Int) {
        guard let fileSystem else { return }
        let pages = fileSystem.store.pages
        RunReport.pageCache(run: run, reads: pages.misses - readsBefore, hits: pages.hits - hitsBefore)
        (readsBefore, hitsBefore) = (pages.misses, pages.hits)
        do throws(KernelError) {
            try fileSystem.sync()
        } catch {
            log("disk: the sync at the end of the run failed (\(error)); what the run wrote may be lost")
        }
    }

    /// Before the power goes: synced, every cached frame given back, unmounted.
    static func unmount() {
        guard let fileSystem else { return }
        Kernel.memory.frames.reclaimer = nil
        do throws(KernelError) {
            try fileSystem.unmount()
            log("disk: unmounted (\(fileSystem.store.groupCommits) journal commits)")
            if let cut = powerCut {
                // What a test needs to choose cut points over the whole of a workload.
                log("power cut: never reached; the boot made \(cut.writes) block writes (crash-after-writes=\(cut.lastWrite))")
            }
        } catch {
            log("disk: the unmount failed (\(error)); what the run wrote may be lost")
        }
        self.fileSystem = nil
        powerCut = nil
    }

    /// Frames back from the caches, dirty pages written to the disk first: for a call or a
    /// fault that found no frame, where waiting for the disk is safe (it holds the file system
    /// lock and is between steps): up to `count`. Returns how many.
    static func releaseFramesWritingBack(_ count: Int = writeBackBatch) -> Int {
        guard let fileSystem, FileSystemLock.isHeld(by: Kernel.scheduler.current?.id) else { return 0 }
        return fileSystem.releaseFrames(count)
    }

    /// Frees the inodes whose last handle went since the last time (FileSystem.settleReleases):
    /// called when the file system lock is let go, where the file system is the caller's.
    static func settleReleases() {
        unretained?._withUnsafeGuaranteedRef { fileSystem in
            if fileSystem.hasDeferredReleases { fileSystem.settleReleases() }
        }
    }
}

/// The frame allocator's reclaimer while the disk is mounted: the file system's caches give
/// clean frames back, but only where the file system is the running thread's to use (it
/// holds the lock, or no thread runs): a frame shortage met in the middle of another
/// thread's file system call must not change the caches under it.
final class CacheReclaimer: FrameReclaimer {
    let fileSystem: FileSystem<DirectMap>

    init(_ fileSystem: FileSystem<DirectMap>) { self.fileSystem = fileSystem }

    func reclaimFrames(_ count: Int) -> Int {
        guard FileSystemLock.isHeld(by: Kernel.scheduler.current?.id) else { return 0 }
        return fileSystem.reclaimFrames(count)
    }
}
