/// What the registry shows about an API key: never the key or its digest.
///
/// Timestamps are RFC 3339 UTC text with second precision, e.g. `2025-06-01T12:00:00Z`, as
/// formatted by Postgres; nil means never (no expiry, not revoked, not used yet).
public struct APIKeyRecord: Sendable, Equatable {
    public let id: String
    public let tenantID: String
    public let role: APIRole
    public let name: String
    public let createdAt: String
    public let expiresAt: String?
    public let revokedAt: String?
    public let lastUsedAt: String?
    /// Whole seconds from the read to `expiresAt` by the database clock (negative once expired).
    public let secondsUntilExpiry: Int64?

    public init(
        id: String, tenantID: String, role: APIRole, name: String, createdAt: String,
        expiresAt: String?, revokedAt: String?, lastUsedAt: String?, secondsUntilExpiry: Int64? = nil
    ) {
        self.id = id
        self.tenantID = tenantID
        self.role = role
        self.name = name
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
        self.secondsUntilExpiry = secondsUntilExpiry
    }
}

/// A key just created: the only time its token exists outside the caller's hands.
///
/// Invariant: `token` is well formed and its digest is the one stored for `record.id`.
public struct CreatedAPIKey: Sendable {
    public let token: String
    public let record: APIKeyRecord
}
