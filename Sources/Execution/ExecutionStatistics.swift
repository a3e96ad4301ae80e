import Synchronization

/// Counters of what the engine did since it started, for metrics and for tests that check a
/// module is parsed once and instances are reused.
public struct ExecutionStatistics: Sendable, Equatable {
    /// Module binaries read and parsed: the module cache's misses.
    public var modulesLoaded: Int
    /// Executions whose module was already parsed in this process.
    public var moduleCacheHits: Int
    /// Instances made for the reuse path (each translates its functions again on first call).
    public var warmInstancesCreated: Int
    /// Requests served by an instance that had already served one and was reset.
    public var instancesReused: Int
    /// Warm instances dropped after a failure, memory growth or their request quota.
    public var instancesDiscarded: Int
    /// Requests run on a throwaway instance because the module cannot be reset.
    public var freshInstances: Int
}

/// The engine's live counters; `snapshot` reads them all.
final class ExecutionCounters: Sendable {
    let modulesLoaded = Atomic(0)
    let moduleCacheHits = Atomic(0)
    let warmInstancesCreated = Atomic(0)
    let instancesReused = Atomic(0)
    let instancesDiscarded = Atomic(0)
    let freshInstances = Atomic(0)

    var snapshot: ExecutionStatistics {
        ExecutionStatistics(
            modulesLoaded: modulesLoaded.load(ordering: .relaxed),
            moduleCacheHits: moduleCacheHits.load(ordering: .relaxed),
            warmInstancesCreated: warmInstancesCreated.load(ordering: .relaxed),
            instancesReused: instancesReused.load(ordering: .relaxed),
            instancesDiscarded: instancesDiscarded.load(ordering: .relaxed),
            freshInstances: freshInstances.load(ordering: .relaxed)
        )
    }
}

extension Atomic<Int> {
    func increment() { add(1, ordering: .relaxed) }
}
