import ExthostCore
import Registry

/// A worker's short-lived memory of execution targets, so a burst of requests costs one
/// registry query per (tenant, extension) and TTL instead of one each.
///
/// Invariants: an entry (found or not found) is served for at most `timeToLive` after it was
/// read, so an install change (disable, upgrade, grant) is seen within that time on every
/// worker even when no notification arrives (`RegistryChangeListener` drops a tenant's entries
/// as soon as one does); each worker thread's stripe (`ThreadStripes`, so request threads do
/// not queue on one lock) holds at most `capacity` entries. Errors are never cached.
public final class TargetCache: ExecutionTargetLookup {
    public static let defaultTimeToLive: Duration = .seconds(2)
    public static let defaultCapacity = 512

    private struct Entry: Sendable {
        let resolved: ResolvedTarget?
        let expires: ContinuousClock.Instant
    }

    private let source: any ExecutionTargetLookup
    private let timeToLive: Duration
    private let capacity: Int
    private let entries = ThreadStripes<[String: Entry]> { [:] }

    public init(source: any ExecutionTargetLookup, timeToLive: Duration = defaultTimeToLive, capacity: Int = defaultCapacity) {
        self.source = source
        self.timeToLive = timeToLive
        self.capacity = max(1, capacity)
    }

    public func enabledTarget(tenantID: String, extension reference: ExtensionReference) throws -> ExecutionTarget? {
        try resolved(tenantID: tenantID, extension: reference)?.target
    }

    /// Forgets every entry of one tenant (its install changed).
    public func invalidate(tenantID: String) {
        let prefix = tenantID + "\u{0}"
        entries.forEach { entries in entries = entries.filter { !$0.key.hasPrefix(prefix) } }
    }

    /// Forgets everything (notifications may have been missed).
    public func invalidateAll() {
        entries.forEach { $0.removeAll(keepingCapacity: true) }
    }

    /// The target with its parsed endpoints, from memory while fresh, else from the source.
    public func resolved(tenantID: String, extension reference: ExtensionReference) throws -> ResolvedTarget? {
        // The NUL cannot occur in a tenant id, so two different pairs never share a key.
        let key = tenantID + "\u{0}" + reference.description
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[key] }), entry.expires > now { return entry.resolved }
        let resolved = try source.enabledTarget(tenantID: tenantID, extension: reference).map(ResolvedTarget.init)
        let entry = Entry(resolved: resolved, expires: now.advanced(by: timeToLive))
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = entry
        }
        return resolved
    }
}
