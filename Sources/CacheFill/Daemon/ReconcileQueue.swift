/// Where notifications and timers leave work for the reconcile loop: pending requests merge
/// into one scope, so a burst of notifications costs one reconcile, not one each.
///
/// Invariant: once closed, `next` returns nil at once and requests are dropped.
final class ReconcileQueue: Sendable {
    private struct State {
        var pending: ReconcileScope?
        var closed = false
    }

    private let monitor = Monitor(State())

    func request(_ scope: ReconcileScope) {
        monitor.update { state in
            guard !state.closed else { return }
            state.pending = state.pending.map { $0.merged(with: scope) } ?? scope
        }
    }

    /// The pending scope, or `.everything` once `periodicDeadline` passes with nothing pending;
    /// nil when the queue has been closed.
    func next(periodicDeadline: ContinuousClock.Instant) -> ReconcileScope? {
        let taken = monitor.wait(until: periodicDeadline) { state -> ReconcileScope?? in
            if state.closed { return .some(nil) }
            defer { state.pending = nil }
            return state.pending.map { .some($0) }
        }
        guard let taken else { return .everything }
        return taken
    }

    func close() { monitor.update { $0.closed = true } }
}
