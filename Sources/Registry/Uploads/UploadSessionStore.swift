import Postgres

/// Upload sessions in Postgres: the staging key, declared size and hash, and the state machine
/// that makes finalize safe to repeat and to race.
///
/// Invariants: every lookup is scoped by tenant (another tenant's upload is `uploadNotFound`);
/// only one finalize holds a session at a time (`claimForFinalize` moves `open` to `finalizing`
/// atomically, and a claim older than `staleClaim` may be taken over after a crash).
public struct UploadSessionStore: Sendable {
    public let pool: PostgresPool
    /// A `finalizing` claim this old is assumed dead (its worker crashed) and may be retaken.
    public let staleClaim: Duration

    public init(pool: PostgresPool, staleClaim: Duration = .seconds(900)) {
        self.pool = pool
        self.staleClaim = staleClaim
    }

    /// A new upload id: a random uuid, also valid as a staging key component.
    public static func newID() -> String { UUIDText.random() }

    public func create(_ draft: UploadSessionDraft) throws(RegistryError) -> UploadSession {
        try databaseCall {
            try pool.withConnection { connection in
                try connection.execute(
                    """
                    INSERT INTO upload_sessions (id, tenant_id, api_key_id, filename, declared_size, declared_hash, strategy,
                                                 staging_key, multipart_id, expires_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10))
                    """,
                    [.text(draft.id), .text(draft.tenantID), .text(draft.apiKeyID), .text(draft.filename), .int64(draft.declaredSize),
                     draft.declaredHash.map(PostgresValue.text) ?? .null, .text(draft.strategy.rawValue), .text(draft.stagingKey),
                     draft.multipartID.map(PostgresValue.text) ?? .null, .double(Double(draft.lifetime.components.seconds))])
                return try Self.load(tenantID: draft.tenantID, id: draft.id, on: connection)
            }
        }
    }

    /// The tenant's session `id`; `uploadNotFound` when there is none.
    public func find(tenantID: String, id: String) throws(RegistryError) -> UploadSession {
        try databaseCall {
            try pool.withConnection { connection in try Self.load(tenantID: tenantID, id: id, on: connection) }
        }
    }

    /// Session `id` of whichever tenant opened it: only for requests that carry a URL signed for
    /// this id (the file store's presigned uploads), where the signature is the credential.
    public func find(signedUploadID id: String) throws(RegistryError) -> UploadSession {
        try databaseCall {
            try pool.withConnection { connection in
                guard let row = try connection.query(Self.select + " WHERE s.id = $1", [.text(id)]).rows.first else {
                    throw RegistryError.uploadNotFound(id)
                }
                return try Self.decode(row)
            }
        }
    }

    /// The outcome of trying to start a finalize.
    public enum Claim: Sendable, Equatable {
        /// This caller now owns the session (state `finalizing`).
        case claimed(UploadSession)
        /// Finalized earlier: answer the same result again.
        case alreadyFinalized(UploadSession)
    }

    /// Moves an `open` (or stale `finalizing`) session to `finalizing`; throws
    /// `finalizeInProgress` while another finalize owns it, `uploadClosed` once aborted, failed or
    /// expired.
    public func claimForFinalize(tenantID: String, id: String) throws(RegistryError) -> Claim {
        try databaseCall {
            try pool.transaction { connection in
                let claimed = try connection.query(
                    """
                    UPDATE upload_sessions SET state = 'finalizing', updated_at = now()
                    WHERE tenant_id = $1 AND id = $2 AND expires_at > now()
                      AND (state = 'open' OR (state = 'finalizing' AND updated_at < now() - make_interval(secs => $3)))
                    RETURNING id
                    """,
                    [.text(tenantID), .text(id), .double(Double(staleClaim.components.seconds))])
                let session = try Self.load(tenantID: tenantID, id: id, on: connection)
                if !claimed.rows.isEmpty { return Claim.claimed(session) }
                switch session.state {
                case .finalized: return Claim.alreadyFinalized(session)
                case .finalizing: throw RegistryError.finalizeInProgress(id)
                case .open: throw RegistryError.uploadClosed(id, state: "expired")
                case .aborted, .expired, .failed: throw RegistryError.uploadClosed(id, state: session.state.rawValue)
                }
            }
        }
    }

    /// Records the end of a stage: the new state and, when known, the content hash and multipart id.
    public func update(tenantID: String, id: String, state: UploadState, contentHash: String? = nil, multipartID: String? = nil) throws(RegistryError) {
        try databaseCall {
            try pool.withConnection { connection in
                let changed = try connection.execute(
                    """
                    UPDATE upload_sessions SET state = $3, content_hash = coalesce($4, content_hash),
                           multipart_id = coalesce($5, multipart_id), updated_at = now()
                    WHERE tenant_id = $1 AND id = $2
                    """,
                    [.text(tenantID), .text(id), .text(state.rawValue), contentHash.map(PostgresValue.text) ?? .null,
                     multipartID.map(PostgresValue.text) ?? .null])
                if changed == 0 { throw RegistryError.uploadNotFound(id) }
            }
        }
    }

    /// Sessions past their expiry that still hold staging data (open, finalizing or failed),
    /// oldest first, across all tenants: for `exthost admin gc`.
    public func expired(limit: Int = 1000) throws(RegistryError) -> [UploadSession] {
        try databaseCall {
            try pool.withConnection { connection in
                try connection.query(
                    Self.select + " WHERE s.expires_at <= now() AND s.state IN ('open', 'finalizing', 'failed') ORDER BY s.expires_at LIMIT $1",
                    [.int64(Int64(limit))]).rows.map(Self.decode)
            }
        }
    }

    static let select = """
        SELECT s.id, s.tenant_id, s.api_key_id, s.filename, s.declared_size, s.declared_hash, s.strategy, s.staging_key,
               s.multipart_id, s.state, s.content_hash, \(SQLText.timestamp("s.expires_at")) AS expires_at,
               \(SQLText.timestamp("s.created_at")) AS created_at, s.expires_at <= now() AS is_expired
        FROM upload_sessions s
        """

    static func load(tenantID: String, id: String, on connection: PostgresConnection) throws -> UploadSession {
        guard let row = try connection.query(select + " WHERE s.tenant_id = $1 AND s.id = $2", [.text(tenantID), .text(id)]).rows.first else {
            throw RegistryError.uploadNotFound(id)
        }
        return try decode(row)
    }

    static func decode(_ row: PostgresRow) throws -> UploadSession {
        guard let strategy = UploadStrategy(rawValue: try row.string("strategy")) else {
            throw PostgresError.decoding(column: "strategy", expected: "upload strategy")
        }
        guard let state = UploadState(rawValue: try row.string("state")) else {
            throw PostgresError.decoding(column: "state", expected: "upload state")
        }
        return UploadSession(
            id: try row.string("id"), tenantID: try row.string("tenant_id"), apiKeyID: try row.string("api_key_id"),
            filename: try row.string("filename"), declaredSize: try row.int64("declared_size"),
            declaredHash: try row.optionalString("declared_hash"), strategy: strategy, stagingKey: try row.string("staging_key"),
            multipartID: try row.optionalString("multipart_id"), state: state, contentHash: try row.optionalString("content_hash"),
            expiresAt: try row.string("expires_at"), createdAt: try row.string("created_at"), isExpired: try row.bool("is_expired"))
    }
}
