/// Who can make a condition true, and so wake the threads that wait for it.
///
/// A thread that waits is only ever woken by something that makes its condition true. When
/// that something is another thread (a writer for a pipe's reader, an ending thread for its
/// joiner) and every thread waits, none ever will: a deadlock. When it is outside the
/// threads (the host typing console input, a disk finishing a request in flight), waiting
/// threads may yet be woken, and the kernel idles until the outside speaks.
public enum ConditionSource: Sendable, Hashable {
    /// Only a thread's action can make the condition true.
    case threads
    /// Something outside the threads (hardware, the host) can make it true.
    case outside
}
