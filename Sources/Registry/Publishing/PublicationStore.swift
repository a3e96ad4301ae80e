import JSON
import Postgres

/// Registers verified bundles: the one registry transaction of finalize.
///
/// Invariants: a version is write-once (the same `publisher.name@version` with other content is
/// `versionExists`, with the same content an idempotent success); the bundle row, extension,
/// version and the `exthost_bundles` NOTIFY commit together or not at all; concurrent
/// registrations of one version end with one set of rows.
public struct PublicationStore: Sendable {
    public static let channel = "exthost_bundles"

    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    public func register(_ publication: Publication) throws(RegistryError) -> PublishedVersion {
        try databaseCall {
            try pool.transaction { connection in
                let extensionID = try connection.query(
                    """
                    INSERT INTO extensions (publisher, name, display_name, description) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (publisher, name) DO UPDATE SET publisher = EXCLUDED.publisher
                    RETURNING id
                    """,
                    [.text(publication.publisher), .text(publication.name), .text(publication.displayName), .text(publication.description)]
                ).rows[0].string("id")
                try connection.execute(
                    """
                    INSERT INTO bundles (content_hash, size, signature, signer, signer_fingerprint) VALUES ($1, $2, $3::jsonb, $4, $5)
                    ON CONFLICT (content_hash) DO NOTHING
                    """,
                    [.text(publication.contentHash), .int64(publication.size), publication.signature.map { .json($0.serialized()) } ?? .null,
                     publication.signer.map(PostgresValue.text) ?? .null, publication.signerFingerprint.map(PostgresValue.text) ?? .null])
                let inserted = try connection.query(
                    """
                    INSERT INTO extension_versions (extension_id, version, runtime, entry, endpoints, ui, capabilities, content_hash, manifest)
                    VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, \(SQLText.textArray(fromJSONParameter: "$7")), $8, $9::jsonb)
                    ON CONFLICT (extension_id, version) DO NOTHING
                    RETURNING id
                    """,
                    [.text(extensionID), .text(publication.version), .text(publication.runtime), .text(publication.entry),
                     .json(publication.endpoints.serialized()), publication.ui.map { .json($0.serialized()) } ?? .null,
                     .json(JSONValue.array(publication.capabilities.map(JSONValue.string)).serialized()), .text(publication.contentHash),
                     .json(JSONValue.object(publication.manifest).serialized())])
                let created = !inserted.rows.isEmpty
                if !created {
                    let existing = try connection.query(
                        "SELECT content_hash FROM extension_versions WHERE extension_id = $1 AND version = $2",
                        [.text(extensionID), .text(publication.version)]).rows[0].string("content_hash")
                    guard existing == publication.contentHash else {
                        throw RegistryError.versionExists(
                            extension: publication.publisher + "." + publication.name, version: publication.version, contentHash: existing)
                    }
                }
                guard let published = try Self.published(contentHash: publication.contentHash, created: created, on: connection) else {
                    throw PostgresError.decoding(column: "content_hash", expected: "registered version")
                }
                if created {
                    let payload: JSONValue = [
                        "contentHash": .string(published.contentHash), "extensionId": .string(published.extensionID),
                        "version": .string(published.version), "size": .number(JSONNumber(Int(published.size))),
                    ]
                    try connection.notify(channel: Self.channel, payload: payload.serialized())
                }
                return published
            }
        }
    }

    /// The version registered for `contentHash`, nil when none is: what a finalize replay answers.
    public func find(contentHash: String) throws(RegistryError) -> PublishedVersion? {
        try databaseCall {
            try pool.withConnection { connection in try Self.published(contentHash: contentHash, created: false, on: connection) }
        }
    }

    static func published(contentHash: String, created: Bool, on connection: PostgresConnection) throws -> PublishedVersion? {
        guard let row = try connection.query(
            """
            SELECT e.id AS extension_id, e.publisher, e.name, v.id AS version_id, v.version, v.content_hash, b.size, b.signer, b.signer_fingerprint
            FROM extension_versions v JOIN extensions e ON e.id = v.extension_id JOIN bundles b ON b.content_hash = v.content_hash
            WHERE v.content_hash = $1 ORDER BY v.created_at LIMIT 1
            """, [.text(contentHash)]).rows.first
        else { return nil }
        return PublishedVersion(
            extensionID: try row.string("extension_id"), publisher: try row.string("publisher"), name: try row.string("name"),
            versionID: try row.string("version_id"), version: try row.string("version"), contentHash: try row.string("content_hash"),
            size: try row.int64("size"), signer: try row.optionalString("signer"),
            signerFingerprint: try row.optionalString("signer_fingerprint"), created: created)
    }
}
