import Cryptography
import Postgres

/// API keys in the `api_keys` table: issue, verify, revoke and list them.
///
/// Invariants: only the SHA-256 of a token is stored or sent to the database, and no record
/// carries the token or its digest; a key authenticates only while it is neither revoked nor
/// past `expires_at`, judged by the database clock so every node agrees; revoking sets
/// `revoked_at` and keeps the row (upload sessions refer to the key that opened them).
public struct APIKeyStore: Sendable {
    public static let maximumNameLength = 256
    /// Long enough for any real policy, short enough that `now() + lifetime` cannot overflow.
    public static let maximumLifetime = Duration.seconds(100 * 365 * 86_400)

    private let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Issues a key; its token is in the result and nowhere else. `expiresIn` nil means it never
    /// expires; otherwise between one second and `maximumLifetime`.
    public func create(tenantID: String, role: APIRole, name: String, expiresIn: Duration?) throws(RegistryError) -> CreatedAPIKey {
        let tenant = try Self.tenant(tenantID)
        try Self.validate(name: name)
        let lifetime = try expiresIn.map { (duration) throws(RegistryError) in try Self.microseconds(duration) }
        let token = APIKeyToken.generate()
        let record = try databaseCall {
            try pool.withConnection { connection in
                let row = try connection.query(
                    """
                    INSERT INTO api_keys (tenant_id, role, name, key_sha256, expires_at)
                    VALUES ($1::uuid, $2, $3, $4, now() + $5::bigint * interval '1 microsecond')
                    RETURNING \(Self.recordColumns)
                    """,
                    [.text(tenant), .text(role.rawValue), .text(name), .bytea(APIKeyToken.digest(token)), lifetime.map(PostgresValue.int64) ?? .null]
                ).rows[0]
                return try Self.record(row)
            }
        }
        return CreatedAPIKey(token: token, record: record)
    }

    /// The channel a revocation is announced on (payload: the key's id), in the revoking transaction.
    public static let revocationChannel = "exthost_api_keys"

    /// nil when unknown, expired or revoked. Looks up by digest (unique index), then compares
    /// digests with ConstantTime; touches last_used_at at most once a minute (cheap).
    public func authenticate(token: String) throws(RegistryError) -> APIPrincipal? {
        guard APIKeyToken.isWellFormed(token) else { return nil }
        let digest = APIKeyToken.digest(token)
        return try databaseCall {
            try pool.withConnection { connection -> APIPrincipal? in
                let rows = try connection.query(
                    """
                    SELECT id::text AS id, tenant_id::text AS tenant_id, role, key_sha256,
                           last_used_at IS NULL OR last_used_at < now() - interval '1 minute' AS needs_touch,
                           to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS expires_at,
                           \(Self.secondsUntilExpiry) AS seconds_until_expiry
                    FROM api_keys
                    WHERE key_sha256 = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
                    """,
                    [.bytea(digest)]
                ).rows
                // The index lookup already matched; the constant-time check keeps the decision
                // independent of how the database compares bytea.
                guard let row = rows.first, ConstantTime.equals(try row.bytes("key_sha256"), digest) else { return nil }
                let keyID = try row.string("id")
                let expiry = try row.optionalString("expires_at").map { expiresAt throws(PostgresError) in
                    APIKeyExpiry(keyID: keyID, expiresAt: expiresAt, secondsLeft: try row.int64("seconds_until_expiry"))
                }
                let principal = APIPrincipal(keyID: keyID, tenantID: try row.string("tenant_id"), role: try Self.role(row), expiry: expiry)
                if try row.bool("needs_touch") {
                    // Bookkeeping only: a failed touch must not fail the request it belongs to.
                    _ = try? connection.execute(
                        """
                        UPDATE api_keys SET last_used_at = now()
                        WHERE id = $1::uuid AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
                        """,
                        [.text(principal.keyID)])
                }
                return principal
            }
        }
    }

    /// `keyOrID` is the token itself or the key's uuid; returns false when no such live key.
    public func revoke(_ keyOrID: String) throws(RegistryError) -> Bool {
        try revokeReturningRecord(keyOrID) != nil
    }

    /// Like `revoke`, but answers the revoked key's record (so a caller given a token can say
    /// which id it was), or nil when no unrevoked key matches. An expired key can still be
    /// revoked, which records the decision.
    public func revokeReturningRecord(_ keyOrID: String) throws(RegistryError) -> APIKeyRecord? {
        let condition: String
        let parameter: PostgresValue
        if APIKeyToken.isWellFormed(keyOrID) {
            (condition, parameter) = ("key_sha256 = $1", .bytea(APIKeyToken.digest(keyOrID)))
        } else if let id = UUIDText.normalized(keyOrID) {
            (condition, parameter) = ("id = $1::uuid", .text(id))
        } else {
            return nil
        }
        return try databaseCall {
            try pool.transaction { connection -> APIKeyRecord? in
                let rows = try connection.query(
                    "UPDATE api_keys SET revoked_at = now() WHERE \(condition) AND revoked_at IS NULL RETURNING \(Self.recordColumns)",
                    [parameter]
                ).rows
                guard let record = try rows.first.map(Self.record) else { return nil }
                // Workers that remember verified keys for a moment forget them when this commits.
                try connection.notify(channel: Self.revocationChannel, payload: record.id)
                return record
            }
        }
    }

    /// Every key (or one tenant's), oldest first, revoked and expired ones included.
    public func list(tenantID: String? = nil) throws(RegistryError) -> [APIKeyRecord] {
        var sql = "SELECT \(Self.recordColumns) FROM api_keys"
        var parameters: [PostgresValue] = []
        if let tenantID {
            sql += " WHERE tenant_id = $1::uuid"
            parameters.append(.text(try Self.tenant(tenantID)))
        }
        sql += " ORDER BY created_at, id"
        return try databaseCall {
            try pool.withConnection { connection in
                try connection.query(sql, parameters).rows.map(Self.record)
            }
        }
    }

    // MARK: - Rows and validation

    /// The columns of an `APIKeyRecord`; the digest is deliberately absent.
    private static let recordColumns = """
        id::text AS id, tenant_id::text AS tenant_id, role, name,
        \(SQLText.timestamp("created_at")) AS created_at, \(SQLText.timestamp("expires_at")) AS expires_at,
        \(SQLText.timestamp("revoked_at")) AS revoked_at, \(SQLText.timestamp("last_used_at")) AS last_used_at,
        \(secondsUntilExpiry) AS seconds_until_expiry
        """

    /// Whole seconds left before `expires_at` (NULL for no expiry), by the database clock.
    private static let secondsUntilExpiry = "floor(extract(epoch FROM expires_at - now()))::bigint"

    private static func record(_ row: PostgresRow) throws(PostgresError) -> APIKeyRecord {
        APIKeyRecord(
            id: try row.string("id"), tenantID: try row.string("tenant_id"), role: try role(row), name: try row.string("name"),
            createdAt: try row.string("created_at"), expiresAt: try row.optionalString("expires_at"),
            revokedAt: try row.optionalString("revoked_at"), lastUsedAt: try row.optionalString("last_used_at"),
            secondsUntilExpiry: try row.optionalInt64("seconds_until_expiry"))
    }

    private static func role(_ row: PostgresRow) throws(PostgresError) -> APIRole {
        guard let role = APIRole(rawValue: try row.string("role")) else { throw .decoding(column: "role", expected: "admin or member") }
        return role
    }

    private static func tenant(_ tenantID: String) throws(RegistryError) -> String {
        guard let tenant = UUIDText.normalized(tenantID) else {
            throw .invalidValue(field: "tenantId", reason: "must be a UUID (8-4-4-4-12 hex digits)")
        }
        return tenant
    }

    private static func validate(name: String) throws(RegistryError) {
        // Postgres counts characters as code points, so the limit is checked the same way.
        guard name.unicodeScalars.count <= maximumNameLength else {
            throw .invalidValue(field: "name", reason: "must be at most \(maximumNameLength) characters")
        }
        // Names are shown in terminal tables; control characters would corrupt them.
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidValue(field: "name", reason: "must not contain control characters")
        }
    }

    private static func microseconds(_ lifetime: Duration) throws(RegistryError) -> Int64 {
        guard lifetime >= .seconds(1), lifetime <= maximumLifetime else {
            throw .invalidValue(field: "expiresIn", reason: "must be between 1 second and 100 years")
        }
        let (seconds, attoseconds) = lifetime.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
