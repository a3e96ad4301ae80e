/// The privilege matrix: what each process role may do on each table of schema `public`.
///
/// Invariants: it names every table of the latest schema (`ProcessRolesTests` fails on a table
/// it does not name, and on any privilege a role holds beyond it, sequences included); a role
/// absent from a table's entry holds nothing there. Each verb listed is one that process's code
/// issues. No one may DELETE catalog rows or UPDATE them beyond one no-op upsert column, so not
/// even a compromised exthost-api can rewrite a published version. Identity columns need no
/// grant on their sequence; foreign-key checks and cascades run as the table owner.
///
/// A migration that adds a table adds its entry here and calls `ProcessRoleSQL.grants(on:)` for
/// it; one that changes a table's entry calls it again for that table (it re-grants from scratch).
public enum ProcessRoleGrants {
    /// The privileges of every role on one table.
    public struct Table: Sendable {
        public let name: String
        public let privileges: [ProcessRole: [TablePrivilege]]

        init(_ name: String, api: [TablePrivilege], runner: [TablePrivilege], cachefill: [TablePrivilege]) {
            self.name = name
            self.privileges = [.api: api, .runner: runner, .cachefill: cachefill]
        }

        public func privileges(of role: ProcessRole) -> [TablePrivilege] { privileges[role] ?? [] }
    }

    public static let tables: [Table] = [
        // Every worker checks the schema version before it serves.
        Table("exthost_schema_migrations", api: [.select], runner: [.select], cachefill: [.select]),
        // The catalog: published once, never changed (no DELETE, no UPDATE of what was published).
        // `UPDATE (publisher)` only for PublicationStore's `ON CONFLICT DO UPDATE SET publisher =
        // EXCLUDED.publisher`, the no-op that returns the id of an extension published before.
        Table("extensions", api: [.select, .insert, .update("publisher")], runner: [.select], cachefill: [.select]),
        Table("bundles", api: [.select, .insert], runner: [.select], cachefill: [.select]),
        Table("extension_versions", api: [.select, .insert], runner: [.select], cachefill: [.select]),
        // The runner authenticates keys and notes when each was last used, nothing else.
        Table("api_keys", api: [.select, .insert, .update], runner: [.select, .update("last_used_at")], cachefill: []),
        Table("installs", api: [.select, .insert, .update, .delete], runner: [.select], cachefill: [.select]),
        Table("install_secrets", api: [.select, .insert, .update, .delete], runner: [.select], cachefill: []),
        Table("upload_sessions", api: [.select, .insert, .update], runner: [], cachefill: []),
        // The runner's own data; an uninstall's cascade runs as the owner, so the api needs nothing.
        Table("extension_storage", api: [], runner: [.select, .insert, .update, .delete], cachefill: []),
        Table("execution_log", api: [], runner: [.insert], cachefill: []),
    ]

    /// The entry for `name`, nil when the matrix does not know the table.
    public static func table(_ name: String) -> Table? {
        tables.first { $0.name == name }
    }
}
