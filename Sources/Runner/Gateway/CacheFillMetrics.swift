import CacheFill
import Glibc
import Metrics
import Synchronization

/// Exports the node's cache-fill daemon in the runner's metrics, read from the status file the
/// daemon keeps next to its socket (the daemon serves no HTTP; the runner is on the same node).
///
/// Invariants: one scrape reads the file at most once (the parsed line is kept for a second);
/// `exthost_cachefill_up` is 1 only when the file parsed and names a live process, and every
/// other series is then the file's value — with the daemon down they report 0 rather than
/// stale numbers.
public final class CacheFillMetrics: Sendable {
    let path: String
    private let cached = Mutex<(read: ContinuousClock.Instant, status: CacheFillStatusFile?)?>(nil)

    public init(statusFile: String) {
        path = statusFile
    }

    /// The daemon runs and finished its first reconcile.
    public var isReady: Bool { current()?.ready ?? false }

    func current() -> CacheFillStatusFile? {
        let now = ContinuousClock.now
        if let cached = cached.withLock({ $0 }), now - cached.read < .seconds(1) { return cached.status }
        var status = CacheFillStatusFile.read(path)
        if let pid = status?.pid, kill(pid_t(pid), 0) != 0, errno == ESRCH { status = nil }
        cached.withLock { $0 = (now, status) }
        return status
    }

    public func register(in registry: MetricsRegistry) {
        let series: [(String, String, MetricKind, @Sendable (CacheFillStatusFile) -> Int?)] = [
            ("exthost_cachefill_up", "1 when the node's cache-fill daemon is running and its status file is readable.", .gauge, { _ in 1 }),
            ("exthost_cachefill_ready", "1 once the daemon finished its first reconcile.", .gauge, { $0.ready ? 1 : 0 }),
            ("exthost_cachefill_fills_total", "Bundle trees fetched and extracted since the daemon started.", .counter, { $0.fills }),
            ("exthost_cachefill_fill_failures_total", "Fills that failed since the daemon started.", .counter, { $0.failures }),
            ("exthost_cachefill_requests_total", "FILL requests answered since the daemon started.", .counter, { $0.requests }),
            ("exthost_cachefill_evictions_total", "Trees evicted since the daemon started.", .counter, { $0.evictions }),
            ("exthost_cachefill_tree_bytes", "Bytes in the content-hash tree.", .gauge, { $0.bytes }),
            ("exthost_cachefill_tree_max_bytes", "The tree's budget (EXTHOST_CACHE_MAX_BYTES); 0 when unlimited.", .gauge, { $0.maxBytes ?? 0 }),
            ("exthost_cachefill_trees", "Bundle trees in the cache.", .gauge, { $0.trees }),
            ("exthost_cachefill_last_reconcile_timestamp_seconds", "Unix time of the last reconcile; 0 before the first.", .gauge, { $0.lastReconcile ?? 0 }),
        ]
        for (name, help, kind, value) in series {
            registry.sampled(name, help: help, kind: kind) { [self] in Double(self.current().flatMap(value) ?? 0) }
        }
    }
}
