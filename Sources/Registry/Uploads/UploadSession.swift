/// How the bytes of an upload reach staging.
public enum UploadStrategy: String, Sendable, CaseIterable {
    /// One presigned PUT by the client.
    case presignedPut = "presigned-put"
    /// Presigned part URLs; finalize completes the multipart upload.
    case multipart
    /// Streamed through exthost-api (`upload-proxy`).
    case proxy
}

/// Where an upload session is in its life. `open` → `finalizing` → `finalized`, or `aborted`,
/// `expired` (GC) or `failed` (the proxy stream broke).
public enum UploadState: String, Sendable, CaseIterable {
    case open, finalizing, finalized, aborted, expired, failed
}

/// One upload of a bundle into staging, owned by the tenant whose admin key opened it.
public struct UploadSession: Sendable, Equatable {
    public let id: String
    public let tenantID: String
    public let apiKeyID: String
    public let filename: String
    public let declaredSize: Int64
    public let declaredHash: String?
    public let strategy: UploadStrategy
    public let stagingKey: String
    public let multipartID: String?
    public let state: UploadState
    /// Known once the proxy streamed the body or finalize hashed the staging object.
    public let contentHash: String?
    public let expiresAt: String
    public let createdAt: String
    /// True when `expires_at` has passed (judged by the database clock).
    public let isExpired: Bool
}

/// What `UploadSessionStore.create` records.
public struct UploadSessionDraft: Sendable, Equatable {
    public var id: String
    public var tenantID: String
    public var apiKeyID: String
    public var filename: String
    public var declaredSize: Int64
    public var declaredHash: String?
    public var strategy: UploadStrategy
    public var stagingKey: String
    public var multipartID: String?
    public var lifetime: Duration

    public init(
        id: String, tenantID: String, apiKeyID: String, filename: String, declaredSize: Int64, declaredHash: String?,
        strategy: UploadStrategy, stagingKey: String, multipartID: String? = nil, lifetime: Duration
    ) {
        self.id = id
        self.tenantID = tenantID
        self.apiKeyID = apiKeyID
        self.filename = filename
        self.declaredSize = declaredSize
        self.declaredHash = declaredHash
        self.strategy = strategy
        self.stagingKey = stagingKey
        self.multipartID = multipartID
        self.lifetime = lifetime
    }
}
