/// Threads started together and waited for together, with a deadline (pthread_join has none),
/// so a stop can leave behind whatever does not finish in time.
///
/// Invariant: `running` counts the threads started and not yet ended.
final class ThreadGroup: Sendable {
    private let running = Monitor(0)

    /// Starts `body` on a new thread unless `limit` threads of the group are running already;
    /// false when it was not started.
    @discardableResult
    func spawn(limit: Int = .max, _ body: @escaping @Sendable () -> Void) -> Bool {
        let admitted = running.update { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else { return false }
        WorkerThread.detach { [running] in
            body()
            running.update { $0 -= 1 }
        }
        return true
    }

    /// True when every thread has ended before `deadline`.
    func wait(until deadline: ContinuousClock.Instant) -> Bool {
        running.wait(until: deadline) { $0 == 0 ? true : nil } ?? false
    }
}
