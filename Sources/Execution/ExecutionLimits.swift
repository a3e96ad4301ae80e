/// The bounds one handler execution runs under: CPU (fuel and a deadline), guest memory, and
/// the sizes of the request and response documents.
///
/// Every value is positive; `fuel == nil` means the budget is derived from the time left
/// before the deadline at ``FuelRate/worstCaseUnitsPerMillisecond``.
public struct ExecutionLimits: Sendable, Equatable {
    /// Fuel units per request (`EXT_FUEL_PER_REQUEST`); nil derives it from the deadline.
    public var fuel: UInt64?
    /// The most bytes of linear memory a guest may have (`EXT_MEMORY_LIMIT_MB`).
    public var memoryBytes: Int
    /// How long a request may run in the guest, host calls included (`EXT_GATEWAY_TIMEOUT_MS`).
    public var timeout: Duration
    public var maxRequestBytes: Int
    public var maxResponseBytes: Int

    public static let defaultMemoryBytes = 64 << 20
    public static let defaultTimeout = Duration.seconds(10)
    public static let defaultDocumentBytes = 10 << 20

    public init(
        fuel: UInt64? = nil,
        memoryBytes: Int = 64 << 20,
        timeout: Duration = .seconds(10),
        maxRequestBytes: Int = 10 << 20,
        maxResponseBytes: Int = 10 << 20
    ) {
        self.fuel = fuel
        self.memoryBytes = memoryBytes
        self.timeout = timeout
        self.maxRequestBytes = maxRequestBytes
        self.maxResponseBytes = maxResponseBytes
    }

    /// Reads `EXT_FUEL_PER_REQUEST`, `EXT_MEMORY_LIMIT_MB` and `EXT_GATEWAY_TIMEOUT_MS`; an unset
    /// or empty variable keeps its default, anything but a positive integer is rejected.
    public init(environment: [String: String]) throws(ExecutionError) {
        self.init()
        if let fuel = try Self.positive("EXT_FUEL_PER_REQUEST", in: environment, max: UInt64.max >> 1) {
            self.fuel = fuel
        }
        // 65536 pages of 64 KiB is all a wasm32 memory can address.
        if let megabytes = try Self.positive("EXT_MEMORY_LIMIT_MB", in: environment, max: 4096) {
            memoryBytes = Int(megabytes) << 20
        }
        if let milliseconds = try Self.positive("EXT_GATEWAY_TIMEOUT_MS", in: environment, max: 3_600_000) {
            timeout = .milliseconds(Int64(milliseconds))
        }
    }

    private static func positive(_ name: String, in environment: [String: String], max: UInt64) throws(ExecutionError) -> UInt64? {
        guard let text = environment[name], !text.isEmpty else { return nil }
        guard let value = UInt64(text), value > 0, value <= max else {
            throw .configurationInvalid(name: name, value: text)
        }
        return value
    }
}
