import Execution
import Metrics

/// The gateway's metrics: executions by outcome, fuel per execution, and the engine's module
/// cache and instance counters (read from `ExecutionStatistics` when scraped).
///
/// Invariant: the outcome label is `ok` or an error code from a closed set (the gateway's and
/// the engine's typed errors), so the series stay few.
public struct GatewayMetrics: Sendable {
    let registry: MetricsRegistry
    let fuel: Histogram

    /// Fuel units, by decades: a trivial handler uses ~10⁴, a C JSON handler ~10⁵–10⁶.
    static let fuelBuckets: [Double] = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]

    public init(registry: MetricsRegistry) {
        self.registry = registry
        fuel = registry.histogram("exthost_execution_fuel", help: "Fuel units one handler call used (about one per wasm operator).", buckets: Self.fuelBuckets)
    }

    func recordExecution(outcome: String, fuelUsed: UInt64?) {
        registry.counter("exthost_executions_total", help: "Requests to /api/ext/ that reached an install, by outcome (ok or the error code).",
                         labels: [("outcome", outcome)]).increment()
        if let fuelUsed { fuel.observe(Double(fuelUsed)) }
    }

    /// Exports the engine's counters; `statistics` is read at every scrape.
    public func exportEngine(_ statistics: @escaping @Sendable () -> ExecutionStatistics) {
        let counters: [(String, String, @Sendable (ExecutionStatistics) -> Int)] = [
            ("exthost_module_cache_hits_total", "Executions whose module was already parsed in this worker process.", { $0.moduleCacheHits }),
            ("exthost_module_cache_misses_total", "Module binaries read and parsed (translated lazily per instance).", { $0.modulesLoaded }),
            ("exthost_wasm_instances_created_total", "Warm instances created for the reuse path.", { $0.warmInstancesCreated }),
            ("exthost_wasm_instances_reused_total", "Requests served by a reset warm instance.", { $0.instancesReused }),
            ("exthost_wasm_instances_discarded_total", "Warm instances dropped after a failure, memory growth or their request quota.", { $0.instancesDiscarded }),
            ("exthost_wasm_fresh_instances_total", "Requests run on a throwaway instance because the module cannot be reset.", { $0.freshInstances }),
        ]
        for (name, help, value) in counters {
            registry.sampled(name, help: help, kind: .counter) { Double(value(statistics())) }
        }
    }
}
