import JSON
import Postgres

/// Tenant installs: create, read, change and remove, each in one transaction that also sends
/// the `exthost_installs` notification.
///
/// Invariants: every statement is scoped by `tenant_id`, so another tenant's install is
/// indistinguishable from a missing one; ids are validated uuids before any query.
public struct InstallStore: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The tenant's installs, oldest first.
    public func list(tenantID: String) throws(RegistryError) -> [Install] {
        try databaseCall {
            try pool.withConnection { connection in
                try connection.query(Self.installSelect + " WHERE i.tenant_id = $1 ORDER BY i.created_at, i.id", [.text(tenantID)])
                    .rows.map(Self.decode)
            }
        }
    }

    public func get(tenantID: String, id: String) throws(RegistryError) -> Install {
        try databaseCall {
            try pool.withConnection { connection in try Self.load(tenantID: tenantID, id: id, on: connection) }
        }
    }

    /// Installs `draft.extensionReference` at `draft.version` for the tenant.
    public func create(tenantID: String, _ draft: InstallDraft) throws(RegistryError) -> Install {
        try databaseCall {
            try pool.transaction { connection in
                let condition = draft.extensionReference.condition(alias: "e", first: 1)
                guard let extensionRow = try connection.query("SELECT e.id FROM extensions e WHERE " + condition.sql, condition.parameters).rows.first else {
                    throw RegistryError.extensionNotFound(draft.extensionReference.description)
                }
                let extensionID = try extensionRow.string("id")
                let version = try Self.resolveVersion(draft.version, extensionID: extensionID, reference: draft.extensionReference.description, on: connection)
                try version.requireDeclared(draft.grantedCapabilities)
                let inserted = try connection.query(
                    """
                    INSERT INTO installs (tenant_id, extension_id, version_id, enabled, config, granted_capabilities)
                    VALUES ($1, $2, $3, $4, $5::jsonb, \(SQLText.textArray(fromJSONParameter: "$6")))
                    ON CONFLICT (tenant_id, extension_id) DO NOTHING
                    RETURNING id
                    """,
                    [.text(tenantID), .text(extensionID), .text(version.id), .bool(draft.enabled),
                     .json(JSONValue.object(draft.config).serialized()), .json(Self.jsonArray(draft.grantedCapabilities))])
                guard let row = inserted.rows.first else { throw RegistryError.alreadyInstalled(extensionID: extensionID) }
                let install = try Self.load(tenantID: tenantID, id: try row.string("id"), on: connection)
                try InstallNotification.send(.created, install: install, on: connection)
                return install
            }
        }
    }

    /// Applies `changes` to the tenant's install `id`; a new version must declare every grant
    /// the install will hold afterwards.
    public func update(tenantID: String, id: String, _ changes: InstallChanges) throws(RegistryError) -> Install {
        try databaseCall {
            try pool.transaction { connection in
                guard let current = try connection.query(
                    "SELECT extension_id, version_id, \(SQLText.jsonArray("granted_capabilities")) AS granted FROM installs WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
                    [.text(tenantID), .text(id)]).rows.first
                else { throw RegistryError.installNotFound(id) }
                let extensionID = try current.string("extension_id")
                let version = try changes.version.map {
                    try Self.resolveVersion($0, extensionID: extensionID, reference: extensionID, on: connection)
                } ?? Self.version(id: try current.string("version_id"), on: connection)
                let grants = try changes.grantedCapabilities ?? current.stringArray("granted")
                try version.requireDeclared(grants)
                try connection.execute(
                    """
                    UPDATE installs SET version_id = $3, enabled = coalesce($4, enabled), config = coalesce($5::jsonb, config),
                           granted_capabilities = \(SQLText.textArray(fromJSONParameter: "$6")), updated_at = now()
                    WHERE tenant_id = $1 AND id = $2
                    """,
                    [.text(tenantID), .text(id), .text(version.id), changes.enabled.map(PostgresValue.bool) ?? .null,
                     changes.config.map { .json(JSONValue.object($0).serialized()) } ?? .null, .json(Self.jsonArray(grants))])
                let install = try Self.load(tenantID: tenantID, id: id, on: connection)
                try InstallNotification.send(.updated, install: install, on: connection)
                return install
            }
        }
    }

    /// Removes the install with its secrets and key-value storage (the execution log stays).
    public func delete(tenantID: String, id: String) throws(RegistryError) {
        try databaseCall {
            try pool.transaction { connection in
                let install = try Self.load(tenantID: tenantID, id: id, on: connection)
                try connection.execute("DELETE FROM installs WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)])
                try InstallNotification.send(.deleted, install: install, on: connection)
            }
        }
    }

    // MARK: - Shared queries

    static let installSelect = """
        SELECT i.id, i.tenant_id, i.extension_id, e.publisher || '.' || e.name AS extension_name, v.version, v.content_hash,
               i.enabled, \(SQLText.jsonArray("i.granted_capabilities")) AS granted, i.config::text AS config, v.ui::text AS ui,
               \(SQLText.timestamp("i.created_at")) AS created_at, \(SQLText.timestamp("i.updated_at")) AS updated_at
        FROM installs i
        JOIN extension_versions v ON v.id = i.version_id
        JOIN extensions e ON e.id = i.extension_id
        """

    static func load(tenantID: String, id: String, on connection: PostgresConnection) throws -> Install {
        guard let row = try connection.query(Self.installSelect + " WHERE i.tenant_id = $1 AND i.id = $2", [.text(tenantID), .text(id)]).rows.first else {
            throw RegistryError.installNotFound(id)
        }
        return try decode(row)
    }

    static func decode(_ row: PostgresRow) throws -> Install {
        guard let config = try row.json("config").objectValue else { throw PostgresError.decoding(column: "config", expected: "json object") }
        return Install(
            id: try row.string("id"),
            tenantID: try row.string("tenant_id"),
            extensionID: try row.string("extension_id"),
            extensionName: try row.string("extension_name"),
            version: try row.string("version"),
            contentHash: try row.string("content_hash"),
            enabled: try row.bool("enabled"),
            grantedCapabilities: try row.stringArray("granted"),
            config: config,
            ui: try row.optionalJSON("ui"),
            createdAt: try row.string("created_at"),
            updatedAt: try row.string("updated_at"))
    }

    /// The version row an install pins: its id, label and declared capabilities.
    struct PinnedVersion {
        let id: String
        let version: String
        let capabilities: [String]

        func requireDeclared(_ grants: [String]) throws(RegistryError) {
            let undeclared = grants.filter { !capabilities.contains($0) }
            if !undeclared.isEmpty { throw .capabilitiesNotDeclared(undeclared, version: version) }
        }
    }

    static func resolveVersion(_ version: String, extensionID: String, reference: String, on connection: PostgresConnection) throws -> PinnedVersion {
        try pinnedVersion(where: "extension_id = $1 AND version = $2", [.text(extensionID), .text(version)], on: connection)
            ?? { throw RegistryError.versionNotFound(extension: reference, version: version) }()
    }

    static func version(id: String, on connection: PostgresConnection) throws -> PinnedVersion {
        try pinnedVersion(where: "id = $1", [.text(id)], on: connection)
            ?? { throw PostgresError.decoding(column: "version_id", expected: "existing version") }()
    }

    private static func pinnedVersion(where condition: String, _ parameters: [PostgresValue], on connection: PostgresConnection) throws -> PinnedVersion? {
        guard let row = try connection.query(
            "SELECT id, version, \(SQLText.jsonArray("capabilities")) AS capabilities FROM extension_versions WHERE " + condition, parameters).rows.first
        else { return nil }
        return PinnedVersion(id: try row.string("id"), version: try row.string("version"), capabilities: try row.stringArray("capabilities"))
    }

    static func jsonArray(_ strings: [String]) -> String {
        JSONValue.array(strings.map(JSONValue.string)).serialized()
    }
}
