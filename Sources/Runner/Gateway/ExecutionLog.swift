import Postgres

/// One row of `execution_log`: who ran what, how it ended and how long it took.
public struct ExecutionLogEntry: Sendable, Equatable {
    public var tenantID: String
    public var installID: String
    public var requestID: String
    public var method: String
    public var path: String
    public var status: Int
    public var durationMilliseconds: Int
    /// Fuel the handler used; nil when no handler ran (no such endpoint, a refused request).
    public var fuelUsed: UInt64?
    public var errorCode: String?

    public init(
        tenantID: String, installID: String, requestID: String, method: String, path: String, status: Int, durationMilliseconds: Int,
        fuelUsed: UInt64?, errorCode: String?
    ) {
        self.tenantID = tenantID
        self.installID = installID
        self.requestID = requestID
        self.method = method
        self.path = path
        self.status = status
        self.durationMilliseconds = durationMilliseconds
        self.fuelUsed = fuelUsed
        self.errorCode = errorCode
    }
}

/// Where the gateway hands execution-log rows; must never block the request.
public protocol ExecutionLogSink: Sendable {
    func record(_ entry: ExecutionLogEntry)
}

/// Appends execution-log rows through a `BatchedWriter`, off the hot path.
///
/// Invariant: `record` only queues (the writer drops the oldest row when its queue is full),
/// so a slow database never slows a request; the path is truncated to keep a row small.
public struct BatchedExecutionLog: ExecutionLogSink {
    public static let columns = ["tenant_id", "install_id", "request_id", "method", "path", "status", "duration_ms", "fuel", "error_code"]
    static let maxPathBytes = 1024

    let writer: BatchedWriter

    public init(pool: PostgresPool) throws(PostgresError) {
        writer = try BatchedWriter(pool: pool, table: "execution_log", columns: Self.columns)
    }

    public func record(_ entry: ExecutionLogEntry) {
        writer.append([
            .text(entry.tenantID), .text(entry.installID), .text(entry.requestID), .text(entry.method),
            .text(String(decoding: entry.path.utf8.prefix(Self.maxPathBytes), as: UTF8.self)),
            .int64(Int64(entry.status)), .int64(Int64(max(0, entry.durationMilliseconds))),
            entry.fuelUsed.map { .int64(Int64(clamping: $0)) } ?? .null, entry.errorCode.map(PostgresValue.text) ?? .null,
        ])
    }
}
