import Glibc

/// Isolation levels for `PostgresPool.transaction`.
public enum PostgresIsolation: Sendable {
    case readCommitted
    case repeatableRead
    case serializable

    var sql: String {
        switch self {
        case .readCommitted: "READ COMMITTED"
        case .repeatableRead: "REPEATABLE READ"
        case .serializable: "SERIALIZABLE"
        }
    }
}

extension PostgresPool {
    /// Runs `body` inside BEGIN/COMMIT on one session, rolling back when anything throws; a
    /// serialization failure or deadlock (also at COMMIT) reruns the whole body up to `retries`
    /// more times after a jittered, growing pause, so `body` must be safe to repeat.
    @discardableResult
    public func transaction<T>(
        isolation: PostgresIsolation = .readCommitted,
        retries: Int = 3,
        _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        var attempt = 0
        while true {
            do {
                return try withConnection { connection in
                    try connection.execute("BEGIN ISOLATION LEVEL \(isolation.sql)")
                    do {
                        let value = try body(connection)
                        try connection.execute("COMMIT")
                        return value
                    } catch {
                        _ = try? connection.execute("ROLLBACK")
                        throw error
                    }
                }
            } catch let error as PostgresError where attempt < retries && error.isRetryable {
                attempt += 1
                let ceilingMicroseconds = UInt32(5_000 << min(attempt, 6))
                usleep(UInt32.random(in: ceilingMicroseconds / 2...ceilingMicroseconds))
            }
        }
    }
}

extension PostgresError {
    /// True for failures a rerun of the same transaction may not hit again.
    public var isRetryable: Bool {
        self == .serializationFailure || self == .deadlock
    }
}
