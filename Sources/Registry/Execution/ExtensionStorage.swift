import Postgres

/// An install's key-value storage (`extension_storage`), as the runner's `storage.*` host calls
/// use it: values are opaque bytes with a revision that every write increments.
///
/// Invariants: every statement is scoped by tenant and install; writes of one install are
/// serialized by a transaction-level advisory lock, so the quota check and the write see the
/// same totals; a write never leaves the install over `quota`; each call runs with
/// `statement_timeout` set to the caller's remaining time.
public struct ExtensionStorage: Sendable {
    /// Per-install limits on what a guest may keep.
    public struct Quota: Sendable, Equatable {
        public var maxKeys: Int
        public var maxBytes: Int
        public var maxValueBytes: Int

        public init(maxKeys: Int = 10_000, maxBytes: Int = 10 << 20, maxValueBytes: Int = 1 << 20) {
            self.maxKeys = maxKeys
            self.maxBytes = maxBytes
            self.maxValueBytes = maxValueBytes
        }
    }

    /// Where one key lives.
    public struct Location: Sendable, Equatable {
        public var tenantID: String
        public var installID: String
        public var namespace: String
        public var key: String

        public init(tenantID: String, installID: String, namespace: String, key: String) {
            self.tenantID = tenantID
            self.installID = installID
            self.namespace = namespace
            self.key = key
        }
    }

    public enum WriteOutcome: Sendable, Equatable {
        case written(revision: Int64)
        case deleted(existed: Bool)
        /// `ifRevision` did not match; `current` is nil when the key does not exist.
        case conflict(current: Int64?)
        case quotaExceeded(String)
    }

    public let pool: PostgresPool
    public let quota: Quota

    public init(pool: PostgresPool, quota: Quota = Quota()) {
        self.pool = pool
        self.quota = quota
    }

    public func get(_ location: Location, timeout: Duration) throws(RegistryError) -> (value: [UInt8], revision: Int64)? {
        try databaseCall {
            try pool.transaction { connection in
                try Self.limit(connection, timeout)
                guard let row = try Self.current(location, on: connection, withValue: true) else { return nil }
                return (try row.bytes("value"), try row.int64("revision"))
            }
        }
    }

    /// Sets the value; `ifRevision` 0 means "only if absent", n "only if at revision n".
    public func put(_ location: Location, value: [UInt8], ifRevision: Int64?, timeout: Duration) throws(RegistryError) -> WriteOutcome {
        guard value.count <= quota.maxValueBytes else { return .quotaExceeded("a value may hold at most \(quota.maxValueBytes) bytes") }
        return try databaseCall {
            try pool.transaction { connection in
                try Self.limit(connection, timeout)
                try Self.lockInstall(location, on: connection)
                let existing = try Self.current(location, on: connection, withValue: false)
                let revision = try existing?.int64("revision")
                if let expected = ifRevision, expected != (revision ?? 0) { return .conflict(current: revision) }
                let totals = try connection.query(
                    """
                    SELECT count(*) AS keys, coalesce(sum(octet_length(value)), 0)::bigint AS bytes
                    FROM extension_storage WHERE tenant_id = $1 AND install_id = $2
                    """, [.text(location.tenantID), .text(location.installID)]).rows[0]
                let keys = try totals.int64("keys") + (existing == nil ? 1 : 0)
                let bytes = try totals.int64("bytes") - (try existing?.int64("size") ?? 0) + Int64(value.count)
                if keys > quota.maxKeys { return .quotaExceeded("an install may keep at most \(quota.maxKeys) keys") }
                if bytes > quota.maxBytes { return .quotaExceeded("an install may keep at most \(quota.maxBytes) bytes") }
                let written = try connection.query(
                    """
                    INSERT INTO extension_storage (tenant_id, install_id, namespace, key, value) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (tenant_id, install_id, namespace, key)
                    DO UPDATE SET value = EXCLUDED.value, revision = extension_storage.revision + 1, updated_at = now()
                    RETURNING revision
                    """, Self.parameters(location) + [.bytea(value)]).rows[0]
                return .written(revision: try written.int64("revision"))
            }
        }
    }

    public func delete(_ location: Location, ifRevision: Int64?, timeout: Duration) throws(RegistryError) -> WriteOutcome {
        try databaseCall {
            try pool.transaction { connection in
                try Self.limit(connection, timeout)
                try Self.lockInstall(location, on: connection)
                let revision = try Self.current(location, on: connection, withValue: false)?.int64("revision")
                if let expected = ifRevision, expected != (revision ?? 0) { return .conflict(current: revision) }
                let removed = try connection.execute(
                    "DELETE FROM extension_storage WHERE tenant_id = $1 AND install_id = $2 AND namespace = $3 AND key = $4",
                    Self.parameters(location))
                return .deleted(existed: removed > 0)
            }
        }
    }

    /// Keys of a namespace starting with `prefix`, after `after`, in byte order, at most `limit`.
    public func list(
        tenantID: String, installID: String, namespace: String, prefix: String, after: String?, limit: Int, timeout: Duration
    ) throws(RegistryError) -> [String] {
        try databaseCall {
            try pool.transaction { connection in
                try Self.limit(connection, timeout)
                return try connection.query(
                    """
                    SELECT key FROM extension_storage
                    WHERE tenant_id = $1 AND install_id = $2 AND namespace = $3 AND left(key, length($4)) = $4
                      AND ($5::text IS NULL OR key COLLATE "C" > $5::text COLLATE "C")
                    ORDER BY key COLLATE "C" LIMIT $6
                    """,
                    [.text(tenantID), .text(installID), .text(namespace), .text(prefix), after.map(PostgresValue.text) ?? .null,
                     .int64(Int64(max(0, limit)))]
                ).rows.map { try $0.string("key") }
            }
        }
    }

    private static func parameters(_ location: Location) -> [PostgresValue] {
        [.text(location.tenantID), .text(location.installID), .text(location.namespace), .text(location.key)]
    }

    /// The remaining time as this transaction's `statement_timeout` (at least 1 ms; 0 would mean none).
    private static func limit(_ connection: PostgresConnection, _ timeout: Duration) throws {
        let parts = timeout.components
        let milliseconds = max(1, parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000)
        _ = try connection.query("SELECT set_config('statement_timeout', $1, true)", [.text(String(milliseconds))])
    }

    private static func lockInstall(_ location: Location, on connection: PostgresConnection) throws {
        _ = try connection.query(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [.text("exthost.storage:" + location.tenantID + ":" + location.installID)])
    }

    private static func current(_ location: Location, on connection: PostgresConnection, withValue: Bool) throws -> PostgresRow? {
        try connection.query(
            "SELECT revision, octet_length(value)::bigint AS size" + (withValue ? ", value" : "")
                + " FROM extension_storage WHERE tenant_id = $1 AND install_id = $2 AND namespace = $3 AND key = $4",
            parameters(location)).rows.first
    }
}
