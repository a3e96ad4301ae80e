/// Everything the daemon is told at start (options first, then the environment, then defaults).
///
/// Invariants after `validate()`: paths are absolute, durations positive, `maxBytes` (when set)
/// positive; `nil` `maxBytes` means no budget, so nothing is ever evicted.
public struct CacheFillConfiguration: Sendable, Equatable {
    public static let defaultSocketPath = "/run/exthost/cachefill.sock"
    public static let defaultCacheDirectory = "/var/cache/exthost"

    public var socketPath: String
    /// Mode of the socket file: 0660 lets the runner's group in; the dev stack uses 0666.
    public var socketMode: UInt32
    public var cacheDirectory: String
    public var statusFile: String
    public var reconcileInterval: Duration
    /// How long a `FILL` client is kept waiting before `ERR FILL_TIMEOUT` (the fill goes on).
    public var fillTimeout: Duration
    public var maxBytes: Int?
    /// Clients served at once; more are answered `ERR BUSY`.
    public var maxConnections: Int
    /// How long a stop waits for running fills and connections before leaving them.
    public var stopGrace: Duration

    public init(
        socketPath: String = defaultSocketPath, socketMode: UInt32 = 0o660,
        cacheDirectory: String = defaultCacheDirectory, statusFile: String? = nil,
        reconcileInterval: Duration = .seconds(60), fillTimeout: Duration = .seconds(60), maxBytes: Int? = nil,
        maxConnections: Int = 64, stopGrace: Duration = .seconds(10)
    ) {
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.cacheDirectory = cacheDirectory
        self.statusFile = statusFile ?? Self.defaultStatusFile(socketPath: socketPath)
        self.reconcileInterval = reconcileInterval
        self.fillTimeout = fillTimeout
        self.maxBytes = maxBytes
        self.maxConnections = maxConnections
        self.stopGrace = stopGrace
    }

    /// `cachefill-status.json` next to the socket: runtime state belongs in /run with it, not in
    /// the cache tree that nginx serves from.
    public static func defaultStatusFile(socketPath: String) -> String {
        let directory = socketPath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return (directory.isEmpty ? "" : directory) + "/cachefill-status.json"
    }

    /// The hard limit eviction of enabled installs' trees starts at: 1.25 × `maxBytes`.
    public var hardLimitBytes: Int? { maxBytes.map(Eviction.hardLimit(for:)) }

    /// A byte count: digits with an optional binary suffix K, M, G or T (`512M`, `20G`).
    public static func parseByteCount(_ text: String) -> Int? {
        let suffixes: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
        var digits = Substring(text)
        var shift = 0
        if let last = digits.last?.uppercased().first, let bits = suffixes[last] {
            shift = bits
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
              let value = Int(digits), value > 0
        else { return nil }
        let (scaled, overflow) = value.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : scaled
    }

    /// Every reason the configuration cannot run, empty when it can.
    public func problems() -> [String] {
        var problems: [String] = []
        for (name, path) in [("socket", socketPath), ("cache directory", cacheDirectory), ("status file", statusFile)] where !path.hasPrefix("/") {
            problems.append("the \(name) path must be absolute, not \(path.debugDescription)")
        }
        if socketPath.utf8.count >= 108 { problems.append("the socket path is longer than a unix socket allows (107 bytes)") }
        if reconcileInterval <= .zero { problems.append("the reconcile interval must be positive") }
        if fillTimeout <= .zero { problems.append("the fill timeout must be positive") }
        if let maxBytes, maxBytes <= 0 { problems.append("the byte budget must be positive") }
        if maxConnections < 1 { problems.append("at least one connection must be allowed") }
        return problems
    }
}
