/// Migration 2: the per-process roles (`exthost_api`, `exthost_runner`, `exthost_cachefill`) and
/// their privileges on the tables of migration 1, from `ProcessRoleGrants` (docs/postgres.md).
///
/// Roles are cluster-global: the first database migrated creates them and every later one
/// (each test database, too) finds them and only grants.
enum Migration0002ProcessRoles {
    static let tables = [
        "exthost_schema_migrations", "extensions", "bundles", "extension_versions", "api_keys", "installs",
        "install_secrets", "upload_sessions", "extension_storage", "execution_log",
    ]

    static let sql = ([ProcessRoleSQL.ensureRoles] + ProcessRoleSQL.grants(on: tables))
        .map { $0 + ";" }
        .joined(separator: "\n")
}
