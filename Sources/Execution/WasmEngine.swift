@_spi(Fuzzing) import WasmKit
import ExthostCore
import Logging

/// Runs exthost-wasm@1 handlers: parses each module once per process, keeps warm instances
/// that are reset to their post-instantiation snapshot after every request, and enforces fuel,
/// memory, deadline and size limits (DESIGN §7).
///
/// Safe to call from many threads: a module is shared, an instance is used by one request at
/// a time. No state survives from one request to the next: a reusable instance is reset (or
/// dropped), and a module whose state a reset cannot reach runs on a fresh instance each time.
public final class WasmEngine: Sendable {
    /// Warm instances are replaced after this many requests, bounding anything a `Store` accrues.
    public static let requestsPerInstance = 1000
    public static let maxModuleBytes = 64 << 20
    /// Idle instances kept per module and worker thread's stripe: a thread runs one request at a
    /// time, and two threads rarely share a stripe.
    static let maxIdleInstancesPerModule = 2

    /// One WasmKit `Engine` per worker thread's stripe for warm instances: every call resolves
    /// its function type through the engine's interner, which takes a lock, so a shared engine
    /// made the request threads queue on it. An instance keeps the engine it was made with, and
    /// the pool hands it back to the same stripe.
    private let warmEngines: ThreadStripes<Engine>
    private let freshEngine: Engine
    private let modules: ModuleCache
    private let pool = InstancePool(maxIdlePerModule: WasmEngine.maxIdleInstancesPerModule)
    private let counters = ExecutionCounters()
    private let logger: Logger

    public init(moduleCacheBytes: Int = 256 << 20, logger: Logger) {
        // Warm instances live long, so they keep WasmKit's default (mprotect) bounds checks;
        // throwaway ones use software checks instead of reserving 4 GiB each.
        warmEngines = ThreadStripes { Engine(configuration: EngineConfiguration(fuelMetering: true)) }
        freshEngine = Engine(configuration: EngineConfiguration(memoryBoundsChecking: .software, fuelMetering: true))
        modules = ModuleCache(capacityBytes: moduleCacheBytes)
        self.logger = logger
    }

    public var statistics: ExecutionStatistics { counters.snapshot }

    /// Validates `wasm` against exthost-wasm@1 (imports only from `exthost` {log(i32,i32,i32), call(i32,i32)->i64} and `wasi_snapshot_preview1`; exports `memory`, `exthost_alloc(i32)->i32`, and each of `handlers` as (i32,i32)->i64); throws moduleInvalid listing every problem. Used by finalize too.
    public static func validate(_ wasm: [UInt8], handlers: [String]) throws(ExecutionError) {
        let shape: ModuleShape
        var module: Module
        do {
            shape = try ModuleShape(parsing: wasm)
            module = try parseWasm(bytes: wasm)
        } catch {
            throw .moduleInvalid(["the module does not parse: \(error)"])
        }
        var problems = ABIContract.problems(in: shape, handlers: handlers)
        if problems.isEmpty {
            problems += bodyProblems(in: &module, shape: shape)
        }
        if !problems.isEmpty { throw .moduleInvalid(problems) }
    }

    /// Instantiates with eager translation, which validates every function body; nothing runs.
    private static func bodyProblems(in module: inout Module, shape: ModuleShape) -> [String] {
        module.dropStartFunction()
        let engine = Engine(configuration: EngineConfiguration(compilationMode: .eager, memoryBoundsChecking: .software, fuelMetering: true))
        let store = Store(engine: engine)
        let memoryCap = MemoryCap(limitBytes: ExecutionLimits.defaultMemoryBytes)
        store.resourceLimiter = memoryCap
        let context = GuestContext(engine: engine)
        do {
            _ = try module.instantiate(store: store, imports: HostImports.imports(for: shape, store: store, context: context, memoryCap: memoryCap))
            return []
        } catch {
            if memoryCap.refused { return ["memory: the initial size is over the default \(ExecutionLimits.defaultMemoryBytes >> 20) MiB limit"] }
            return ["the module does not validate: \(error)"]
        }
    }

    /// Runs `handler` of the module `hash` (loaded from `modulePath` on first use, parsed once per process, LRU by size) with `input` (the request JSON bytes); returns the response JSON bytes the guest produced.
    /// `meter` receives what the call consumed, also when it throws.
    public func execute(
        moduleKey: String, modulePath: String, handler: String, input: [UInt8], limits: ExecutionLimits, host: any HostInterface,
        meter: inout ExecutionMeter
    ) throws(ExecutionError) -> [UInt8] {
        guard input.count <= limits.maxRequestBytes else { throw .requestTooLarge }
        let budget = FuelBudget(limits: limits)
        let module = try load(moduleKey: moduleKey, modulePath: modulePath)
        let handlerProblems = ABIContract.exportProblems(in: module.shape, name: handler, expected: ABIContract.handlerType)
        guard handlerProblems.isEmpty else { throw .moduleInvalid(handlerProblems) }
        guard module.reusable else {
            counters.freshInstances.increment()
            let instance = try GuestInstance(module: module, engine: freshEngine, budget: budget, takeSnapshot: false)
            return try instance.run(handler: handler, input: input, budget: budget, host: host, meter: &meter)
        }
        let instance: GuestInstance
        if let warm = pool.take(moduleKey) {
            counters.instancesReused.increment()
            instance = warm
        } else {
            counters.warmInstancesCreated.increment()
            instance = try GuestInstance(module: module, engine: warmEngines.withLock { $0 }, budget: budget, takeSnapshot: true)
        }
        do {
            let response = try instance.run(handler: handler, input: input, budget: budget, host: host, meter: &meter)
            recycle(instance)
            return response
        } catch {
            // A failed request may leave the instance mid-way through anything: never reuse it.
            counters.instancesDiscarded.increment()
            throw error
        }
    }

    private func recycle(_ instance: GuestInstance) {
        if instance.requestsServed < Self.requestsPerInstance, instance.reset() {
            pool.give(instance)
        } else {
            counters.instancesDiscarded.increment()
        }
    }

    private func load(moduleKey: String, modulePath: String) throws(ExecutionError) -> LoadedModule {
        if let module = modules.cached(moduleKey) {
            counters.moduleCacheHits.increment()
            return module
        }
        let wasm = try ModuleFile.read(modulePath, maxBytes: Self.maxModuleBytes)
        let loaded = try LoadedModule(key: moduleKey, wasm: wasm)
        counters.modulesLoaded.increment()
        let (module, evicted) = modules.insert(loaded)
        pool.drop(evicted)
        logger.debug("loaded module", metadata: [
            "module": "\(moduleKey)", "bytes": "\(wasm.count)", "reusable": "\(module.reusable)",
        ])
        return module
    }
}
