import JSON
import Postgres

/// A `bundles` row as fsck checks it against the store.
public struct RegisteredBundle: Sendable, Hashable {
    /// `sha256:<hex>`.
    public let contentHash: String
    public let size: Int64

    public init(contentHash: String, size: Int64) {
        self.contentHash = contentHash
        self.size = size
    }
}

/// A registry row that refers to something that is not there.
public struct DanglingReference: Sendable, Hashable {
    /// `install`, `version`.
    public let kind: String
    /// The row, e.g. `tenant <uuid> install <uuid>`.
    public let subject: String
    public let reason: String
    /// How many references of this `kind` are dangling in all, the unlisted ones included.
    public let kindTotal: Int64
}

/// The read-only registry questions of `exthost admin fsck`.
///
/// Invariants: never writes; every query is bounded (keyset pages of at most `limit` rows, or a
/// `LIMIT`), so memory does not grow with the registry; `since`, when given, is a timestamptz
/// text Postgres parses, and limits the rows checked to those created at or after it.
public struct RegistryConsistency: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Bundle rows in content-hash order after `after` (empty string: from the start), those
    /// created (or given a new version) since `since` only, when given.
    public func bundles(after: String, since: String?, limit: Int) throws(RegistryError) -> [RegisteredBundle] {
        try databaseCall {
            try pool.withConnection { connection in
                try connection.query(
                    """
                    SELECT b.content_hash, b.size FROM bundles b
                    WHERE b.content_hash > $1
                      AND ($2::timestamptz IS NULL OR b.created_at >= $2::timestamptz
                           OR EXISTS (SELECT 1 FROM extension_versions v
                                      WHERE v.content_hash = b.content_hash AND v.created_at >= $2::timestamptz))
                    ORDER BY b.content_hash LIMIT $3
                    """,
                    [.text(after), since.map(PostgresValue.text) ?? .null, .int64(Int64(limit))]
                ).rows.map { row in RegisteredBundle(contentHash: try row.string("content_hash"), size: try row.int64("size")) }
            }
        }
    }

    /// Installs whose extension or version is gone or whose version belongs to another
    /// extension, and versions whose bundle row is gone (foreign keys forbid both; fsck proves
    /// it), at most `limit` of each kind but at least one when there is any, each with its kind's
    /// total, so a small limit never hides that something dangles.
    public func danglingReferences(limit: Int) throws(RegistryError) -> [DanglingReference] {
        try databaseCall {
            try pool.withConnection { connection in
                try connection.query(
                    """
                    (SELECT 'install' AS kind, 'tenant ' || i.tenant_id || ' install ' || i.id AS subject,
                            CASE WHEN e.id IS NULL THEN 'its extension ' || i.extension_id || ' does not exist'
                                 WHEN v.id IS NULL THEN 'its version ' || i.version_id || ' does not exist'
                                 ELSE 'its version ' || v.id || ' belongs to another extension' END AS reason,
                            count(*) OVER () AS kind_total
                     FROM installs i
                     LEFT JOIN extensions e ON e.id = i.extension_id
                     LEFT JOIN extension_versions v ON v.id = i.version_id
                     WHERE e.id IS NULL OR v.id IS NULL OR v.extension_id <> i.extension_id
                     LIMIT $1)
                    UNION ALL
                    (SELECT 'version', 'version ' || v.id, 'its bundle row ' || v.content_hash || ' does not exist',
                            count(*) OVER ()
                     FROM extension_versions v LEFT JOIN bundles b ON b.content_hash = v.content_hash
                     WHERE b.content_hash IS NULL
                     LIMIT $1)
                    """,
                    [.int64(Int64(max(limit, 1)))]
                ).rows.map { row in
                    DanglingReference(
                        kind: try row.string("kind"), subject: try row.string("subject"), reason: try row.string("reason"),
                        kindTotal: try row.int64("kind_total"))
                }
            }
        }
    }

    /// How many installs and versions there are (what `danglingReferences` looked at).
    public func referenceCounts() throws(RegistryError) -> (installs: Int64, versions: Int64) {
        try databaseCall {
            try pool.withConnection { connection in
                let row = try connection.query(
                    "SELECT (SELECT count(*) FROM installs) AS installs, (SELECT count(*) FROM extension_versions) AS versions"
                ).rows[0]
                return (try row.int64("installs"), try row.int64("versions"))
            }
        }
    }

    /// Which of the (extension id, content hash) pairs no version row has: a node's `ext-ui`
    /// link for something the registry does not know.
    public func unknownVersions(among pairs: [(extensionID: String, contentHash: String)]) throws(RegistryError) -> Set<String> {
        guard !pairs.isEmpty else { return [] }
        let document = JSONValue.array(pairs.map { .array([.string($0.extensionID), .string($0.contentHash)]) }).serialized()
        return try databaseCall {
            try pool.withConnection { connection in
                let rows = try connection.query(
                    """
                    SELECT p.value->>0 || ' ' || (p.value->>1) AS pair FROM jsonb_array_elements($1::jsonb) AS p(value)
                    WHERE NOT EXISTS (SELECT 1 FROM extension_versions v
                                      WHERE v.extension_id::text = p.value->>0 AND v.content_hash = p.value->>1)
                    """,
                    [.json(document)]
                ).rows
                return Set(try rows.map { try $0.string("pair") })
            }
        }
    }
}
