import ExthostCore

/// A failure talking to Postgres, classified by SQLSTATE so callers can react to the kinds that
/// matter (retry, conflict, unavailable) without parsing text.
///
/// Invariant: `message` (what a client may see) never contains server text, parameter values or
/// connection strings; the server's own words stay in the associated values for the log.
public enum PostgresError: HTTPError, Equatable {
    /// The connection could not be opened, broke, or the pool timed out handing one out.
    case unavailable(reason: String)
    /// SQLSTATE 23505; the constraint name when the server reported one.
    case uniqueViolation(constraint: String?)
    /// SQLSTATE 40001: the transaction may succeed if retried.
    case serializationFailure
    /// SQLSTATE 40P01: the transaction may succeed if retried.
    case deadlock
    /// SQLSTATE 23503.
    case foreignKeyViolation(constraint: String?)
    /// SQLSTATE 23514.
    case checkViolation(constraint: String?)
    /// Any other server error: its SQLSTATE and primary message (log only, may quote data).
    case query(sqlstate: String, message: String)
    /// A result column was missing or did not hold the requested type.
    case decoding(column: String, expected: String)
    /// A table, column or channel name that is not a plain lowercase SQL identifier.
    case invalidIdentifier(String)

    public var status: HTTPStatus {
        switch self {
        case .unavailable, .serializationFailure, .deadlock: .serviceUnavailable
        case .uniqueViolation, .foreignKeyViolation: .conflict
        case .checkViolation, .query, .decoding, .invalidIdentifier: .internalServerError
        }
    }

    public var code: String {
        switch self {
        case .unavailable: "DATABASE_UNAVAILABLE"
        case .serializationFailure, .deadlock: "DATABASE_BUSY"
        case .uniqueViolation, .foreignKeyViolation: "CONFLICT"
        case .checkViolation, .query, .decoding, .invalidIdentifier: "DATABASE_ERROR"
        }
    }

    public var message: String {
        switch self {
        case .unavailable: "The database is unavailable; try again shortly."
        case .serializationFailure, .deadlock: "The database is busy; try again."
        case .uniqueViolation: "The resource already exists."
        case .foreignKeyViolation: "The request refers to a resource that does not exist or is still in use."
        case .checkViolation: "The database rejected a value (check constraint)."
        case .query(let sqlstate, _): "The database rejected the query (SQLSTATE \(sqlstate))."
        case .decoding: "The database returned an unexpected value."
        case .invalidIdentifier: "Invalid SQL identifier."
        }
    }

    public var extraHeaders: [(name: String, value: String)] {
        status == .serviceUnavailable ? [(name: "Retry-After", value: "1")] : []
    }

    /// Classifies a server error by SQLSTATE; connection-class states (08, 57P0x) mean the
    /// session is gone, so they count as unavailable.
    static func from(sqlstate: String, message: String, constraint: String?) -> PostgresError {
        switch sqlstate {
        case "23505": .uniqueViolation(constraint: constraint)
        case "40001": .serializationFailure
        case "40P01": .deadlock
        case "23503": .foreignKeyViolation(constraint: constraint)
        case "23514": .checkViolation(constraint: constraint)
        case "57P01", "57P02", "57P03", "53300": .unavailable(reason: message)
        case _ where sqlstate.hasPrefix("08"): .unavailable(reason: message)
        default: .query(sqlstate: sqlstate, message: message)
        }
    }
}
