import JSON
import Postgres

/// A bundle the cache tree must hold: registered content, the publisher its signature must
/// name, and the signature document itself.
public struct DeliverableBundle: Sendable, Equatable {
    public let contentHash: String
    public let size: Int64
    public let publisher: String
    /// The `.sig` document stored at finalize, nil for an unsigned bundle.
    public let signature: JSONValue?
}

/// An (extension, content hash) pair some tenant has enabled: exactly the pairs that get an
/// `ext-ui/<extensionId>/<hex>` link and whose trees eviction keeps.
public struct EnabledPair: Sendable, Hashable {
    public let extensionID: String
    public let contentHash: String
    /// Whether the pinned version declares a UI (a link is only made then).
    public let hasUI: Bool

    public init(extensionID: String, contentHash: String, hasUI: Bool) {
        self.extensionID = extensionID
        self.contentHash = contentHash
        self.hasUI = hasUI
    }
}

/// The registry reads the cache-fill daemon and the runner's UI-miss handler make.
///
/// Invariant: read-only; the pairs come from installs joined to their pinned versions, so a
/// disabled, removed or upgraded-away install stops counting as soon as its transaction commits.
public struct BundleDelivery: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Every enabled pair across all tenants (distinct).
    public func enabledPairs() throws(RegistryError) -> [EnabledPair] {
        try databaseCall {
            try pool.withConnection { connection in
                try connection.query(
                    """
                    SELECT DISTINCT i.extension_id, v.content_hash, v.ui IS NOT NULL AS has_ui
                    FROM installs i JOIN extension_versions v ON v.id = i.version_id
                    WHERE i.enabled ORDER BY i.extension_id, v.content_hash
                    """).rows.map {
                    EnabledPair(extensionID: try $0.string("extension_id"), contentHash: try $0.string("content_hash"), hasUI: try $0.bool("has_ui"))
                }
            }
        }
    }

    /// True when some tenant has `extensionID` enabled at exactly `contentHash`.
    public func isEnabled(extensionID: String, contentHash: String) throws(RegistryError) -> Bool {
        try databaseCall {
            try pool.withConnection { connection in
                try !connection.query(
                    """
                    SELECT 1 FROM installs i JOIN extension_versions v ON v.id = i.version_id
                    WHERE i.enabled AND i.extension_id = $1 AND v.content_hash = $2 LIMIT 1
                    """, [.text(extensionID), .text(contentHash)]).rows.isEmpty
            }
        }
    }

    /// The registered bundle with its publisher and signature; nil when the hash is unknown.
    public func bundle(contentHash: String) throws(RegistryError) -> DeliverableBundle? {
        try databaseCall {
            try pool.withConnection { connection in
                guard let row = try connection.query(
                    """
                    SELECT b.content_hash, b.size, b.signature::text AS signature, e.publisher
                    FROM bundles b JOIN extension_versions v ON v.content_hash = b.content_hash JOIN extensions e ON e.id = v.extension_id
                    WHERE b.content_hash = $1 LIMIT 1
                    """, [.text(contentHash)]).rows.first
                else { return nil }
                return DeliverableBundle(
                    contentHash: try row.string("content_hash"), size: try row.int64("size"), publisher: try row.string("publisher"),
                    signature: try row.optionalJSON("signature"))
            }
        }
    }
}
