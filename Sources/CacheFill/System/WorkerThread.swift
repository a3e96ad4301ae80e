import Glibc

/// A POSIX thread running one closure, so the daemon's loops and connections run in parallel
/// without Foundation.
///
/// Invariants: the closure is retained until the thread has taken it; a thread is either joined
/// once (`join`) or started detached and never joined.
struct WorkerThread: Sendable {
    private final class Entry: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private let handle: pthread_t

    /// Starts a thread the caller must `join`.
    init(_ body: @escaping @Sendable () -> Void) {
        handle = Self.start(body, detached: false)
    }

    /// Starts a thread nobody waits for (its resources go back when it ends).
    static func detach(_ body: @escaping @Sendable () -> Void) {
        _ = start(body, detached: true)
    }

    func join() { pthread_join(handle, nil) }

    private static func start(_ body: @escaping @Sendable () -> Void, detached: Bool) -> pthread_t {
        var handle: pthread_t = 0
        let entry = Unmanaged.passRetained(Entry(body)).toOpaque()
        let status = pthread_create(&handle, nil, { raw in
            Unmanaged<Entry>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, entry)
        precondition(status == 0, "pthread_create failed: \(String(cString: strerror(status)))")
        if detached { pthread_detach(handle) }
        return handle
    }
}
