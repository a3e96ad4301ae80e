import Glibc
import JSON
import Synchronization

/// The daemon's counters and health, shared by every thread and written out as the status line.
///
/// Invariant: `revision` grows with every change, so the writer knows when a line is stale.
final class DaemonStatus: Sendable {
    struct Counters: Sendable {
        /// Trees fetched and extracted (not counting requests the tree was already there for).
        var fills = 0
        /// Fills that failed (each attempt counted once, retries included in it).
        var failures = 0
        /// `FILL` requests answered, whatever the answer.
        var requests = 0
        var evictions = 0
        var lastReconcile: Int64?
        var lastReconcileSucceeded = false
        var listenerConnected = false
        var ready = false
        var revision = 0
    }

    private let counters = Mutex(Counters())
    let startedAt = Int64(time(nil))

    func change(_ body: (inout Counters) -> Void) {
        counters.withLock { counters in
            body(&counters)
            counters.revision += 1
        }
    }

    var snapshot: Counters { counters.withLock { $0 } }

    /// The one-line JSON document of the status file.
    static func line(_ counters: Counters, tree: TreeFigures, now: Int64) -> String {
        let object: JSONValue = .object([
            ("updated", .number(Int(now))),
            ("pid", .number(Int(getpid()))),
            ("ready", .bool(counters.ready)),
            ("listenerConnected", .bool(counters.listenerConnected)),
            ("lastReconcile", counters.lastReconcile.map { .number(Int($0)) } ?? .null),
            ("lastReconcileSucceeded", .bool(counters.lastReconcileSucceeded)),
            ("fills", .number(counters.fills)),
            ("failures", .number(counters.failures)),
            ("requests", .number(counters.requests)),
            ("evictions", .number(counters.evictions)),
            ("bytes", .number(tree.bytes)),
            ("maxBytes", tree.maxBytes.map { .number($0) } ?? .null),
            ("trees", .number(tree.trees)),
            ("links", .number(tree.links)),
        ])
        return object.serialized() + "\n"
    }
}

/// What the cache holds when a status line is written.
struct TreeFigures: Sendable, Equatable {
    var bytes: Int
    var maxBytes: Int?
    var trees: Int
    var links: Int
}
