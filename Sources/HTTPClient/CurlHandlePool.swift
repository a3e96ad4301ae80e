import Synchronization

/// A bounded stack of idle easy handles shared by every thread using one `HTTPClient`.
///
/// Invariants: a handle is either idle in the stack or held by exactly one caller; at most
/// `capacity` handles are idle; the most recently returned handle is handed out first, so a
/// sequential caller keeps reusing the same live connection.
final class CurlHandlePool: Sendable {
    private let idle = Mutex<[CurlEasyHandle]>([])
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    func checkOut() -> CurlEasyHandle {
        idle.withLock { $0.popLast() } ?? CurlEasyHandle()
    }

    /// Keeps `handle` if there is room; otherwise the caller's reference is the last one, and
    /// the handle is freed when the caller lets go of it, after the lock is released.
    func checkIn(_ handle: CurlEasyHandle) {
        handle.reset()
        idle.withLock { handles in
            if handles.count < capacity { handles.append(handle) }
        }
    }
}
