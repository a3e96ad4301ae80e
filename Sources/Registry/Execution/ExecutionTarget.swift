import JSON
import Postgres

/// What the runner needs to execute a request for one tenant: the tenant's enabled install of
/// an extension and the pinned version's entry, endpoints and content hash.
///
/// Invariants: built only from an install row of the asking tenant whose `enabled` was true
/// when read; `endpoints` is the version's stored `[{method, path, handler}]` array as
/// finalize wrote it from a validated manifest.
public struct ExecutionTarget: Sendable, Equatable {
    public let installID: String
    public let tenantID: String
    /// The extension's registry uuid.
    public let extensionID: String
    /// `publisher.name` of the extension.
    public let extensionName: String
    public let version: String
    /// `sha256:<hex>` of the bundle; the module is `<tree of this hash>/<entry>`.
    public let contentHash: String
    public let entry: String
    public let endpoints: JSONValue
    public let config: JSONObject
    public let grantedCapabilities: [String]

    public init(
        installID: String, tenantID: String, extensionID: String, extensionName: String, version: String,
        contentHash: String, entry: String, endpoints: JSONValue, config: JSONObject, grantedCapabilities: [String]
    ) {
        self.installID = installID
        self.tenantID = tenantID
        self.extensionID = extensionID
        self.extensionName = extensionName
        self.version = version
        self.contentHash = contentHash
        self.entry = entry
        self.endpoints = endpoints
        self.config = config
        self.grantedCapabilities = grantedCapabilities
    }
}

/// Reads execution targets from the registry (read-only, one indexed query per lookup).
///
/// Invariant: every query is scoped by `tenant_id` and `enabled`, so another tenant's install,
/// a disabled install and a missing one all read as nil.
public struct ExecutionTargets: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The tenant's enabled install of `reference` (uuid or `publisher.name`), or nil.
    public func enabledTarget(tenantID: String, extension reference: ExtensionReference) throws(RegistryError) -> ExecutionTarget? {
        // A tenant id that is not a uuid cannot own an install; asking would only raise a cast error.
        guard let tenant = UUIDText.normalized(tenantID) else { return nil }
        return try databaseCall {
            try pool.withConnection { connection in
                let condition = reference.condition(alias: "e", first: 2)
                let rows = try connection.query(
                    Self.targetSelect + " WHERE i.tenant_id = $1::uuid AND i.enabled AND " + condition.sql,
                    [.text(tenant)] + condition.parameters
                ).rows
                return try rows.first.map(Self.decode)
            }
        }
    }

    static let targetSelect = """
        SELECT i.id, i.tenant_id, e.id AS extension_id, e.publisher || '.' || e.name AS extension_name,
               v.version, v.content_hash, v.entry, v.endpoints::text AS endpoints, i.config::text AS config,
               \(SQLText.jsonArray("i.granted_capabilities")) AS granted
        FROM installs i
        JOIN extension_versions v ON v.id = i.version_id
        JOIN extensions e ON e.id = i.extension_id
        """

    static func decode(_ row: PostgresRow) throws -> ExecutionTarget {
        guard let config = try row.json("config").objectValue else { throw PostgresError.decoding(column: "config", expected: "json object") }
        return ExecutionTarget(
            installID: try row.string("id"),
            tenantID: try row.string("tenant_id"),
            extensionID: try row.string("extension_id"),
            extensionName: try row.string("extension_name"),
            version: try row.string("version"),
            contentHash: try row.string("content_hash"),
            entry: try row.string("entry"),
            endpoints: try row.json("endpoints"),
            config: config,
            grantedCapabilities: try row.stringArray("granted"))
    }
}
