import ExthostCore

/// The settings exthost-runner reads from its environment (DESIGN §9), checked once at start.
///
/// Invariants: `cacheRoot` and `cacheFillSocket` are absolute paths; the timeout, the pool
/// size and the fetch cap are within their documented ranges; every egress allowlist entry
/// parsed (a malformed one refuses the start, naming the entry).
public struct RunnerConfiguration: Sendable, Equatable {
    public static let defaultCacheRoot = "/var/cache/exthost"
    public static let defaultCacheFillSocket = "/run/exthost/cachefill.sock"
    public static let defaultGatewayTimeoutMilliseconds = 10_000
    public static let defaultDatabasePoolSize = 16

    /// `EXTHOST_CACHE_DIR`: the content-hash tree nginx serves from.
    public var cacheRoot: String
    /// `EXTHOST_CACHEFILL_SOCKET`: where exthost-cachefill answers `FILL`.
    public var cacheFillSocket: String
    /// `EXT_GATEWAY_TIMEOUT_MS`: how long one request may wait, including a cache fill.
    public var gatewayTimeout: Duration
    /// `EXTHOST_DB_POOL_SIZE`: Postgres connections this process may hold.
    public var databasePoolSize: Int
    /// `EXT_EGRESS_ALLOWLIST`: where `http.fetch` may go; empty (the default) denies everything.
    public var egressAllowlist: EgressAllowlist
    /// `EXT_FETCH_MAX_BYTES`: the largest response body `http.fetch` hands to a guest.
    public var fetchMaxResponseBytes: Int

    public init(environment: [String: String]) throws(RunnerConfigurationError) {
        cacheRoot = try Self.absolutePath(environment, "EXTHOST_CACHE_DIR", default: Self.defaultCacheRoot)
        cacheFillSocket = try Self.absolutePath(environment, "EXTHOST_CACHEFILL_SOCKET", default: Self.defaultCacheFillSocket)
        let milliseconds = try Self.integer(
            environment, "EXT_GATEWAY_TIMEOUT_MS", in: 1...600_000, default: Self.defaultGatewayTimeoutMilliseconds)
        gatewayTimeout = .milliseconds(milliseconds)
        databasePoolSize = try Self.integer(environment, "EXTHOST_DB_POOL_SIZE", in: 1...512, default: Self.defaultDatabasePoolSize)
        do {
            egressAllowlist = try EgressAllowlist(parsing: environment[EgressAllowlist.environmentVariable] ?? "")
        } catch {
            switch error {
            case .malformedEntry(let entry, let expected):
                throw .invalid(name: EgressAllowlist.environmentVariable, value: entry, expected: expected)
            }
        }
        fetchMaxResponseBytes = try Self.integer(
            environment, "EXT_FETCH_MAX_BYTES", in: 1...EgressFetcher.maxResponseBytesCeiling, default: EgressFetcher.defaultMaxResponseBytes)
    }

    private static func absolutePath(
        _ environment: [String: String], _ name: String, default fallback: String
    ) throws(RunnerConfigurationError) -> String {
        guard let value = environment[name], !value.isEmpty else { return fallback }
        guard value.hasPrefix("/") else { throw .invalid(name: name, value: value, expected: "an absolute path") }
        return value
    }

    private static func integer(
        _ environment: [String: String], _ name: String, in range: ClosedRange<Int>, default fallback: Int
    ) throws(RunnerConfigurationError) -> Int {
        guard let value = environment[name], !value.isEmpty else { return fallback }
        guard let number = Int(value), range.contains(number) else {
            throw .invalid(name: name, value: value, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}

/// A setting of exthost-runner's environment that cannot be used.
public enum RunnerConfigurationError: HTTPError, Equatable {
    case invalid(name: String, value: String, expected: String)

    public var status: HTTPStatus { .internalServerError }
    public var code: String { "CONFIGURATION_INVALID" }

    public var message: String {
        switch self {
        case .invalid(let name, let value, let expected):
            "\(name) must be \(expected), not \(String(value.prefix(80)).debugDescription)"
        }
    }
}
