import Glibc

/// A value guarded by a pthread mutex, with a condition threads wait on until the value says
/// they may go on (or a deadline passes): the daemon's queues and one-shot outcomes.
///
/// Invariants: the mutex and condition live on the heap (they must not move) and are destroyed
/// in `deinit`; `state` is only touched with the mutex held; every `update` wakes all waiters;
/// timed waits use CLOCK_MONOTONIC, so a clock step never lengthens or shortens them.
final class Monitor<State>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var state: State

    init(_ state: State) {
        self.state = state
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Reads or changes the state and wakes every waiter (they re-check their condition).
    @discardableResult
    func update<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body(&state)
    }

    /// Blocks until `ready` returns a value (it may change the state, e.g. take from a queue,
    /// so the other waiters are woken then) or until `deadline`; nil when the deadline passed
    /// first. A nil deadline waits forever.
    func wait<Result>(until deadline: ContinuousClock.Instant?, _ ready: (inout State) -> Result?) -> Result? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let result = ready(&state) {
                pthread_cond_broadcast(condition)
                return result
            }
            guard let deadline else {
                pthread_cond_wait(condition, mutex)
                continue
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return nil }
            var wake = Self.monotonicTime(after: remaining)
            pthread_cond_timedwait(condition, mutex, &wake)
        }
    }

    private static func monotonicTime(after duration: Duration) -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let (seconds, attoseconds) = duration.components
        var nanoseconds = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
        var wholeSeconds = Int(now.tv_sec) + Int(seconds)
        if nanoseconds >= 1_000_000_000 {
            nanoseconds -= 1_000_000_000
            wholeSeconds += 1
        }
        return timespec(tv_sec: wholeSeconds, tv_nsec: nanoseconds)
    }
}
