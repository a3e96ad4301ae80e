/// What one execution consumed, filled in by the engine whether the handler answered or failed.
///
/// Invariant: `fuelUsed` counts only the handler call (not instantiation or `_initialize`),
/// in WasmKit fuel units (about one per executed operator; host calls are free).
public struct ExecutionMeter: Sendable, Equatable {
    public var fuelUsed: UInt64 = 0

    public init() {}
}
