import CPostgres
import ExthostCore
import Glibc

/// One libpq session (`PGconn`); every libpq call of the module lives in this file.
///
/// Invariants: `handle` is a live `PGconn` from `PQconnectdb` and is finished in `deinit`; queries
/// go through `PQexecParams` only, so values never become SQL text. Not safe for concurrent use:
/// the pool and the listener hand each connection to one thread at a time, which is why the
/// `Sendable` conformance is unchecked.
public final class PostgresConnection: @unchecked Sendable {
    private let handle: OpaquePointer

    /// Opens a session; an empty `conninfo` means libpq's own `PG*` environment variables.
    public init(conninfo: String) throws(PostgresError) {
        guard let handle = PQconnectdb(conninfo) else { throw .unavailable(reason: "libpq could not allocate a connection") }
        guard PQstatus(handle) == CONNECTION_OK else {
            let reason = Self.errorText(handle)
            PQfinish(handle)
            throw .unavailable(reason: reason)
        }
        // The default notice processor writes to stderr; notices (e.g. ROLLBACK outside a
        // transaction) are not errors, so drop them.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        self.handle = handle
    }

    /// `EXTHOST_DATABASE_URL` if set, else "" so libpq reads `PGHOST`, `PGPORT`, … itself.
    public static func environmentConninfo() -> String {
        getenv("EXTHOST_DATABASE_URL").map { String(cString: $0) } ?? ""
    }

    deinit { PQfinish(handle) }

    /// True while libpq considers the session usable (it learns of breakage only on I/O).
    public var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// False when the server has already closed this idle session (a restart,
    /// `pg_terminate_backend`, an idle timeout) though libpq has not noticed yet: an idle session
    /// has nothing to read, so a readable socket means a termination notice or end-of-file.
    /// One zero-timeout poll(2), cheap enough for every checkout.
    public var isIdleAndOpen: Bool {
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    /// True when a transaction block is open or failed, i.e. the session is not reusable as is.
    public var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// The server process id of this session (for diagnostics and tests).
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Reconnects with the original parameters.
    public func reset() throws(PostgresError) {
        PQreset(handle)
        guard isHealthy else { throw .unavailable(reason: Self.errorText(handle)) }
    }

    /// Runs one statement with `$n` parameters in text format.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) throws(PostgresError) -> PostgresResult {
        // All values live in one NUL-separated buffer; a NUL inside a value would silently cut it
        // short in C, so such a value is refused (Postgres text cannot hold NUL anyway).
        var buffer: [CChar] = []
        var offsets: [Int?] = []
        for parameter in parameters {
            guard let text = parameter.textEncoding else {
                offsets.append(nil)
                continue
            }
            guard !text.utf8.contains(0) else {
                throw .query(sqlstate: "22021", message: "parameter \(offsets.count + 1) contains a NUL byte")
            }
            offsets.append(buffer.count)
            buffer.append(contentsOf: text.utf8.map { CChar(bitPattern: $0) })
            buffer.append(0)
        }
        let oids = parameters.map(\.typeOid)
        let result = buffer.withUnsafeBufferPointer { base in
            let values = offsets.map { offset in offset.flatMap { start in base.baseAddress.map { $0 + start } } }
            return PQexecParams(handle, sql, Int32(parameters.count), oids, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        return try collect(result)
    }

    /// Runs one statement and returns how many rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) throws(PostgresError) -> Int {
        try query(sql, parameters).affectedRows
    }

    /// Sends a notification on `channel`; inside a transaction it is delivered at commit.
    public func notify(channel: String, payload: String) throws(PostgresError) {
        try query("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)])
    }

    // MARK: - Asynchronous notifications (used by PostgresListener)

    var socketDescriptor: Int32 { PQsocket(handle) }

    /// Reads whatever the server sent; false when the connection is lost.
    func consumeInput() -> Bool { PQconsumeInput(handle) == 1 && isHealthy }

    /// Takes every notification libpq has queued.
    func takeNotifications() -> [PostgresListener.Notification] {
        var notifications: [PostgresListener.Notification] = []
        while let notify = PQnotifies(handle) {
            notifications.append(.init(channel: String(cString: notify.pointee.relname), payload: String(cString: notify.pointee.extra)))
            PQfreemem(notify)
        }
        return notifications
    }

    // MARK: - Results and errors

    private func collect(_ result: OpaquePointer?) throws(PostgresError) -> PostgresResult {
        guard let result else { throw .unavailable(reason: Self.errorText(handle)) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            break
        default:
            throw error(from: result)
        }
        let columnCount = PQnfields(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        let rows = (0..<PQntuples(result)).map { row in
            PostgresRow(
                columns: columns,
                values: (0..<columnCount).map { column in
                    PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
                })
        }
        return PostgresResult(columns: columns, rows: rows, affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0)
    }

    private func error(from result: OpaquePointer) -> PostgresError {
        func field(_ code: UInt8) -> String? { PQresultErrorField(result, Int32(code)).map { String(cString: $0) } }
        guard let sqlstate = field(UInt8(ascii: "C")), isHealthy else {
            return .unavailable(reason: Self.errorText(handle))
        }
        return PostgresError.from(sqlstate: sqlstate, message: field(UInt8(ascii: "M")) ?? "", constraint: field(UInt8(ascii: "n")))
    }

    private static func errorText(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingSuffixNewlines()
    }
}

extension String {
    fileprivate func trimmingSuffixNewlines() -> String {
        var text = Substring(self)
        while text.last?.isNewline == true { text = text.dropLast() }
        return String(text)
    }
}
