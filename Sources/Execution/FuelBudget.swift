/// The CPU allowance of one request: a deadline, and the fuel to give the store at each step.
///
/// WasmKit cannot interrupt a running guest, so the fuel is at most the time left times
/// `worstCaseUnitsPerMillisecond` (and at most `EXT_FUEL_PER_REQUEST` when set): even the slowest-per-unit code then runs out
/// of fuel by the deadline. Ordinary code burns fuel faster, so it stops earlier than the deadline
/// (see docs/execution.md for the measured rates).
struct FuelBudget {
    /// Fuel units the cheapest-per-unit guest loop burns per millisecond on this class of machine,
    /// with margin for a busy CPU (measured: 3.2·10⁵ alone, 2.7·10⁵ beside other tests on a
    /// loaded 2-core host; ordinary code ~2·10⁶). Lower means a guest stops sooner.
    static let worstCaseUnitsPerMillisecond: UInt64 = 250_000

    let limits: ExecutionLimits
    let deadline: ContinuousClock.Instant

    init(limits: ExecutionLimits, start: ContinuousClock.Instant = .now) {
        self.limits = limits
        deadline = start + limits.timeout
    }

    func fuelNow() -> UInt64 {
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { return 1 }
        let milliseconds = UInt64(left.components.seconds) * 1000 + UInt64(left.components.attoseconds / 1_000_000_000_000_000)
        let byDeadline = max(1, milliseconds * Self.worstCaseUnitsPerMillisecond)
        // A configured budget may be smaller, never a way around the deadline.
        return min(limits.fuel ?? byDeadline, byDeadline)
    }
}
