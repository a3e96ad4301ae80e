import Glibc

/// The outcome of one fill that other threads asking for the same hash block on until the
/// filling thread publishes it.
///
/// Invariants: owns a heap-allocated pthread mutex and condition (they must not move, so they
/// are not stored inline), destroyed in `deinit`; `outcome` is only read or written with the
/// mutex held, is set once, and wakes every waiter.
final class PendingFill: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var outcome: Result<String, ContentCacheError>?

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func publish(_ outcome: Result<String, ContentCacheError>) {
        pthread_mutex_lock(mutex)
        self.outcome = outcome
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Blocks (without spinning) until `publish` has run, then returns what it published.
    func wait() -> Result<String, ContentCacheError> {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let outcome { return outcome }
            pthread_cond_wait(condition, mutex)
        }
    }
}
