import Postgres

/// Brings a database up to `Migrations.all`, safely from several processes at once.
///
/// Invariants: all missing migrations and their `exthost_schema_migrations` rows are applied in
/// one transaction, so a failure leaves the schema exactly as it was; that transaction first
/// takes a transaction-scoped advisory lock on `lockKey`, so concurrent runners serialize and
/// the later ones find nothing left to do.
public struct MigrationRunner: Sendable {
    /// "exthost" in ASCII plus 0x01: fixed so every binary version contends for the same lock.
    public static let lockKey: Int64 = 0x6578_7468_6F73_7401
    public static let historyTable = "exthost_schema_migrations"

    public let pool: PostgresPool
    public let migrations: [Migration]

    public init(pool: PostgresPool, migrations: [Migration] = Migrations.all) {
        self.pool = pool
        self.migrations = migrations
    }

    /// Applies every migration the database lacks, in version order, and returns them.
    @discardableResult
    public func apply() throws(RegistryError) -> [Migration] {
        try databaseCall {
            try pool.transaction { connection in
                try connection.query("SELECT pg_advisory_xact_lock($1)", [.int64(Self.lockKey)])
                try connection.execute("""
                    CREATE TABLE IF NOT EXISTS \(Self.historyTable) (
                        version int PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """)
                let applied = Set(try connection.query("SELECT version FROM \(Self.historyTable)").rows.map { try $0.int64("version") })
                let missing = migrations.filter { !applied.contains(Int64($0.version)) }
                for migration in missing {
                    for statement in migration.statements { try connection.execute(statement) }
                    try connection.execute(
                        "INSERT INTO \(Self.historyTable) (version, name) VALUES ($1::int4, $2)",
                        [.int64(Int64(migration.version)), .text(migration.name)])
                }
                return missing
            }
        }
    }

    /// The highest applied version, 0 when the database was never migrated.
    public func currentVersion() throws(RegistryError) -> Int {
        try databaseCall {
            try pool.withConnection { connection in
                let present = try connection.query("SELECT to_regclass($1) IS NOT NULL AS present", [.text(Self.historyTable)])
                guard try present.rows.first?.bool("present") == true else { return 0 }
                let result = try connection.query("SELECT coalesce(max(version), 0) AS version FROM \(Self.historyTable)")
                return Int(try result.rows.first?.int64("version") ?? 0)
            }
        }
    }
}
