import JSON
import Postgres

/// Read access to the global extension catalog: extensions, their versions and bundles.
///
/// The catalog is not tenant-scoped: every tenant sees every published extension, and
/// installs are what tie one to a tenant.
public struct Catalog: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Every extension ordered by `publisher.name`, each with its versions oldest first.
    public func list() throws(RegistryError) -> [CatalogExtension] {
        try databaseCall {
            try pool.withConnection { connection in
                var extensions = try connection.query(Self.extensionSelect + " ORDER BY e.publisher, e.name").rows.map(Self.decodeExtension)
                let versions = try connection.query(Self.versionSelect + " ORDER BY v.created_at, v.version").rows
                var position: [String: Int] = [:]
                for (index, entry) in extensions.enumerated() { position[entry.id] = index }
                for row in versions {
                    guard let index = position[try row.string("extension_id")] else { continue }
                    extensions[index].versions.append(try Self.decodeVersion(row))
                }
                return extensions
            }
        }
    }

    /// The extension `reference` names, with its versions oldest first; nil when there is none.
    public func find(_ reference: ExtensionReference) throws(RegistryError) -> CatalogExtension? {
        try databaseCall {
            try pool.withConnection { connection in
                let condition = reference.condition(alias: "e", first: 1)
                guard let row = try connection.query(Self.extensionSelect + " WHERE " + condition.sql, condition.parameters).rows.first else {
                    return nil
                }
                var found = try Self.decodeExtension(row)
                let versions = try connection.query(
                    Self.versionSelect + " WHERE v.extension_id = $1 ORDER BY v.created_at, v.version", [.text(found.id)])
                found.versions = try versions.rows.map(Self.decodeVersion)
                return found
            }
        }
    }

    static let extensionSelect = """
        SELECT e.id, e.publisher, e.name, e.display_name, e.description, \(SQLText.timestamp("e.created_at")) AS created_at
        FROM extensions e
        """

    static let versionSelect = """
        SELECT v.id, v.extension_id, v.version, v.runtime, v.entry, v.endpoints::text AS endpoints, v.ui::text AS ui,
               \(SQLText.jsonArray("v.capabilities")) AS capabilities, v.content_hash, b.size, b.signer, b.signer_fingerprint,
               \(SQLText.timestamp("v.created_at")) AS created_at
        FROM extension_versions v JOIN bundles b ON b.content_hash = v.content_hash
        """

    static func decodeExtension(_ row: PostgresRow) throws -> CatalogExtension {
        CatalogExtension(
            id: try row.string("id"),
            publisher: try row.string("publisher"),
            name: try row.string("name"),
            displayName: try row.string("display_name"),
            description: try row.string("description"),
            createdAt: try row.string("created_at"),
            versions: [])
    }

    static func decodeVersion(_ row: PostgresRow) throws -> ExtensionVersion {
        ExtensionVersion(
            id: try row.string("id"),
            version: try row.string("version"),
            runtime: try row.string("runtime"),
            entry: try row.string("entry"),
            endpoints: try row.json("endpoints"),
            ui: try row.optionalJSON("ui"),
            capabilities: try row.stringArray("capabilities"),
            contentHash: try row.string("content_hash"),
            size: try row.int64("size"),
            signer: try row.optionalString("signer"),
            signerFingerprint: try row.optionalString("signer_fingerprint"),
            createdAt: try row.string("created_at"))
    }
}
