import ExthostCore
import Postgres

/// A registry failure a client or operator may see.
///
/// Invariant: `message` never carries server text or connection strings; database failures keep
/// the `PostgresError` (whose own message is already safe) so their status and code pass through.
public enum RegistryError: HTTPError, Equatable {
    /// The database schema is older than this binary needs.
    case schemaOutdated(current: Int, required: Int)
    /// The database failed or is unreachable.
    case database(PostgresError)

    public var status: HTTPStatus {
        switch self {
        case .schemaOutdated: .serviceUnavailable
        case .database(let error): error.status
        }
    }

    public var code: String {
        switch self {
        case .schemaOutdated: "SCHEMA_OUTDATED"
        case .database(let error): error.code
        }
    }

    public var message: String {
        switch self {
        case .schemaOutdated(let current, let required):
            "database schema is at version \(current), this binary needs \(required): run `exthost admin migrate`"
        case .database(let error): error.message
        }
    }

    public var extraHeaders: [(name: String, value: String)] {
        switch self {
        case .schemaOutdated: []
        case .database(let error): error.extraHeaders
        }
    }
}
