import JSON

/// Everything finalize registers for one verified bundle, taken from its manifest and signature.
public struct Publication: Sendable, Equatable {
    public var publisher: String
    public var name: String
    public var displayName: String
    public var description: String
    public var version: String
    public var runtime: String
    public var entry: String
    public var endpoints: JSONValue
    public var ui: JSONValue?
    public var capabilities: [String]
    /// The whole manifest, as validated.
    public var manifest: JSONObject
    public var contentHash: String
    public var size: Int64
    /// The `.sig` document, nil for an unsigned bundle.
    public var signature: JSONValue?
    public var signer: String?
    public var signerFingerprint: String?

    public init(
        publisher: String, name: String, displayName: String, description: String, version: String, runtime: String,
        entry: String, endpoints: JSONValue, ui: JSONValue?, capabilities: [String], manifest: JSONObject,
        contentHash: String, size: Int64, signature: JSONValue?, signer: String?, signerFingerprint: String?
    ) {
        self.publisher = publisher
        self.name = name
        self.displayName = displayName
        self.description = description
        self.version = version
        self.runtime = runtime
        self.entry = entry
        self.endpoints = endpoints
        self.ui = ui
        self.capabilities = capabilities
        self.manifest = manifest
        self.contentHash = contentHash
        self.size = size
        self.signature = signature
        self.signer = signer
        self.signerFingerprint = signerFingerprint
    }
}

/// A version as registered: what finalize answers, the same on every replay.
public struct PublishedVersion: Sendable, Equatable {
    public let extensionID: String
    public let publisher: String
    public let name: String
    public let versionID: String
    public let version: String
    public let contentHash: String
    public let size: Int64
    public let signer: String?
    public let signerFingerprint: String?
    /// False when the same content was already registered (an idempotent replay).
    public let created: Bool
}
