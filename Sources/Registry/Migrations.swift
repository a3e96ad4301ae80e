import Glibc
import Postgres

/// The schema history this binary knows, and the check workers run before serving.
public enum Migrations {
    /// Every migration, ordered by version; versions run 1, 2, … without gaps.
    public static let all: [Migration] = [
        Migration(version: 1, name: "initial", sql: Migration0001Initial.sql),
        Migration(version: 2, name: "process_roles", sql: Migration0002ProcessRoles.sql),
    ]

    /// The schema version this binary needs.
    public static var latest: Int { all.last?.version ?? 0 }

    /// How the database schema compares with `latest` when it is recent enough to serve.
    public enum Status: Sendable, Equatable {
        case current(version: Int)
        /// The database was migrated by a newer binary; migrations only add, so this one still runs.
        case newer(database: Int, binary: Int)
    }

    /// Throws `.schemaOutdated` when the database is older than `latest`; a newer schema is
    /// allowed (forward compatible) and reported in the returned status.
    @discardableResult
    public static func requireCurrent(pool: PostgresPool) throws(RegistryError) -> Status {
        let version = try MigrationRunner(pool: pool).currentVersion()
        if version < latest { throw .schemaOutdated(current: version, required: latest) }
        return version == latest ? .current(version: version) : .newer(database: version, binary: latest)
    }

    /// `requireCurrent` for a process starting up: while the database is unreachable it retries
    /// every second for up to `patience` (systemd may start workers alongside Postgres), then
    /// gives up with the last error. An outdated schema fails at once: waiting will not fix it.
    @discardableResult
    public static func awaitCurrent(pool: PostgresPool, patience: Duration, onRetry: (RegistryError) -> Void = { _ in }) throws(RegistryError) -> Status {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                return try requireCurrent(pool: pool)
            } catch .database(.unavailable(let reason)) where ContinuousClock.now < deadline {
                onRetry(.database(.unavailable(reason: reason)))
                sleep(1)
            }
        }
    }
}
