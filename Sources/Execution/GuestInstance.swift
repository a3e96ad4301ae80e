@_spi(Fuzzing) import WasmKit

/// One instance of a module in its own `Store`, able to run handlers and, on the reuse path,
/// return to the state it had right after instantiation (and `_initialize`).
///
/// Used by one thread at a time: the pool hands it over under a lock, which is why it is
/// `@unchecked Sendable`. With a snapshot, `reset()` restores memory bytes and every mutable
/// global; it fails (and the instance must be dropped) when memory grew.
final class GuestInstance: @unchecked Sendable {
    let module: LoadedModule
    private let store: Store
    private let instance: Instance
    private let context: GuestContext
    private let memoryCap: MemoryCap
    private let memory: Memory
    private var stack: ExecutionStack
    private var memorySnapshot: [UInt8] = []
    private var globalSnapshot: [(Global, Value)] = []
    private(set) var requestsServed = 0

    /// Instantiates `module` and runs `_initialize` if exported, under `budget`.
    init(module: LoadedModule, engine: Engine, budget: FuelBudget, takeSnapshot: Bool) throws(ExecutionError) {
        self.module = module
        store = Store(engine: engine)
        memoryCap = MemoryCap(limitBytes: budget.limits.memoryBytes)
        store.resourceLimiter = memoryCap
        context = GuestContext(engine: engine)
        stack = ExecutionStack(engine: engine)
        store.fuel = Fuel(remaining: budget.fuelNow())
        let imports = HostImports.imports(for: module.shape, store: store, context: context, memoryCap: memoryCap)
        do {
            instance = try module.module.instantiate(store: store, imports: imports)
        } catch {
            throw Self.classify(error, abort: context.abort, memoryRefused: memoryCap.refused, deadline: budget.deadline)
        }
        guard let memory = instance.exports[memory: ABIContract.memoryExport],
            let alloc = instance.exports[function: ABIContract.allocExport]
        else { throw .moduleInvalid(["the module does not export memory and exthost_alloc"]) }
        self.memory = memory
        context.memory = memory
        context.alloc = alloc
        if let initialize = instance.exports[function: ABIContract.initializeExport] {
            do {
                try initialize.invoke([], on: &stack)
            } catch {
                throw Self.classify(error, abort: context.abort, memoryRefused: memoryCap.refused, deadline: budget.deadline)
            }
        }
        if takeSnapshot {
            memorySnapshot = memory.snapshot()
            globalSnapshot = module.resettableGlobals.compactMap { name in
                instance.exports[global: name].map { ($0, $0.value) }
            }
        }
    }

    /// Copies `input` into the guest, calls `handler` and returns the response bytes.
    func run(handler: String, input: [UInt8], budget: FuelBudget, host: any HostInterface, meter: inout ExecutionMeter) throws(ExecutionError) -> [UInt8] {
        requestsServed += 1
        guard let function = instance.exports[function: handler] else { throw .moduleInvalid(["export \(handler): missing"]) }
        context.begin(host: host, deadline: budget.deadline, limits: budget.limits)
        memoryCap.startRequest(limitBytes: budget.limits.memoryBytes)
        defer { context.end() }
        let granted = budget.fuelNow()
        store.fuel = Fuel(remaining: granted)
        defer { meter.fuelUsed = granted - min(granted, store.fuel?.remaining ?? granted) }
        let result: [Value]
        do {
            let pointer = try context.place(input) { memoryCap.refused }
            result = try function.invoke([.i32(pointer), .i32(UInt32(input.count))], on: &stack)
        } catch {
            throw Self.classify(error, abort: context.abort, memoryRefused: memoryCap.refused, deadline: budget.deadline)
        }
        return try response(from: result, limits: budget.limits)
    }

    private func response(from result: [Value], limits: ExecutionLimits) throws(ExecutionError) -> [UInt8] {
        guard case .i64(let packed)? = result.first else { throw .badResponse("the handler returned no i64") }
        let pointer = UInt32(truncatingIfNeeded: packed >> 32)
        let length = UInt32(truncatingIfNeeded: packed)
        if length == 0 {
            if memoryCap.refused { throw .outOfMemory }
            throw .badResponse("the handler returned an empty response (pointer \(pointer))")
        }
        guard Int(length) <= limits.maxResponseBytes else {
            throw .badResponse("the response is \(length) bytes, over the \(limits.maxResponseBytes)-byte limit")
        }
        guard let bytes = memory.bytes(at: pointer, count: length) else {
            throw .badResponse("the response (\(length) bytes at \(pointer)) is outside the guest's \(memory.byteCount)-byte memory")
        }
        return bytes
    }

    /// Puts memory and mutable globals back to the snapshot; false when that is impossible.
    func reset() -> Bool {
        guard memory.restore(memorySnapshot) else { return false }
        for (global, value) in globalSnapshot {
            do { try global.assign(value) } catch { return false }
        }
        return true
    }

    private static func classify(_ error: any Error, abort: GuestAbort?, memoryRefused: Bool, deadline: ContinuousClock.Instant) -> ExecutionError {
        switch abort ?? (error as? GuestAbort) {
        case .deadlineExceeded: return .timeout
        case .outOfMemory: return .outOfMemory
        case .trap(let detail): return .trap(detail)
        case .exit(let code): return .badResponse("the guest called proc_exit(\(code)) instead of returning a response")
        case nil: break
        }
        if GuestAbort.isOutOfFuel(error) || ContinuousClock.now >= deadline { return .timeout }
        if memoryRefused { return .outOfMemory }
        return .trap("\(error)")
    }
}
