import ExthostTesting
import Foundation
import Postgres
import Registry
import Testing

/// The privileges a migrated database gives each process role are `ProcessRoleGrants`, exactly.
@Suite struct ProcessRolesTests {
    static let tableVerbs = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]
    static let columnVerbs = ["SELECT", "INSERT", "UPDATE", "REFERENCES"]

    @Test func everyRelationOfSchemaPublicIsInTheMatrix() throws {
        try FreshDatabase.migrated { pool in
            let relations = try Self.relations(pool)
            let tables = relations.filter { $0.kind != "S" }.map(\.name)
            #expect(Set(tables) == Set(ProcessRoleGrants.tables.map(\.name)), "ProcessRoleGrants.tables must name every table")
            #expect(tables.count == ProcessRoleGrants.tables.count)
        }
    }

    @Test func eachRoleHoldsExactlyItsTablePrivileges() throws {
        try FreshDatabase.migrated { pool in
            for table in ProcessRoleGrants.tables {
                for role in ProcessRole.allCases {
                    let expected = Set(table.privileges(of: role).filter(\.columns.isEmpty).map(\.verb.rawValue))
                    let held = try Self.tablePrivileges(pool, role: role, table: table.name)
                    #expect(held == expected, "\(role.name) on \(table.name)")
                }
            }
        }
    }

    @Test func columnGrantsReachOnlyTheirColumns() throws {
        try FreshDatabase.migrated { pool in
            for table in ProcessRoleGrants.tables {
                for role in ProcessRole.allCases {
                    let privileges = table.privileges(of: role)
                    for (column, held) in try Self.columnPrivileges(pool, role: role, table: table.name) {
                        let expected = Set(privileges.filter { $0.columns.isEmpty || $0.columns.contains(column) }.map(\.verb.rawValue))
                            .intersection(Self.columnVerbs)
                        #expect(held == expected, "\(role.name) on \(table.name).\(column)")
                    }
                }
            }
        }
    }

    @Test func noRoleMayUseASequenceOrCreateInSchemaPublic() throws {
        try FreshDatabase.migrated { pool in
            let sequences = try Self.relations(pool).filter { $0.kind == "S" }.map(\.name)
            for role in ProcessRole.allCases {
                for sequence in sequences {
                    let row = try pool.withConnection { connection in
                        try connection.query(
                            """
                            SELECT has_sequence_privilege($1::text, $2::text, 'USAGE') OR has_sequence_privilege($1::text, $2::text, 'SELECT')
                                   OR has_sequence_privilege($1::text, $2::text, 'UPDATE') AS any
                            """, [.text(role.name), .text(sequence)]).rows[0]
                    }
                    #expect(try row.bool("any") == false, "\(role.name) on sequence \(sequence)")
                }
                let create = try pool.withConnection { connection in
                    try connection.query("SELECT has_schema_privilege($1::text, 'public', 'CREATE') AS create", [.text(role.name)]).rows[0]
                }
                #expect(try create.bool("create") == false, "\(role.name) may create in schema public")
            }
        }
    }

    @Test func rolesAreLoginRolesWithoutPowersAndCachefillIsReadOnly() throws {
        try FreshDatabase.migrated { pool in
            for role in ProcessRole.allCases {
                let row = try pool.withConnection { connection in
                    try connection.query(
                        """
                        SELECT rolcanlogin AND NOT (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls) AS plain,
                               coalesce((SELECT array_to_string(s.setconfig, ',') FROM pg_db_role_setting s
                                         WHERE s.setrole = r.oid AND s.setdatabase = 0), '') AS settings
                        FROM pg_roles r WHERE rolname = $1
                        """, [.text(role.name)]).rows.first
                }
                let found = try #require(row, "role \(role.name) missing")
                #expect(try found.bool("plain"), "\(role.name) must be a plain LOGIN role")
                let settings = try found.string("settings")
                #expect(settings == role.settings.map { "\($0.name)=\($0.value)" }.joined(separator: ","), "\(role.name): \(settings)")
            }
        }
    }

    @Test func ensuringRolesAndGrantsAgainChangesNothing() throws {
        try FreshDatabase.migrated { pool in
            let before = try Self.allTablePrivileges(pool)
            try pool.withConnection { connection in
                _ = try connection.execute(ProcessRoleSQL.ensureRoles)
                for statement in ProcessRoleSQL.grants(on: ProcessRoleGrants.tables.map(\.name)) { _ = try connection.execute(statement) }
            }
            #expect(try Self.allTablePrivileges(pool) == before)
        }
    }

    /// Rolled back, so the cluster-global role setting it removes is never gone for anyone else.
    @Test func aLoginWithoutCreateroleIsToldTheSQLToRun() throws {
        try FreshDatabase.migrated { pool in
            let limited = "exthost_test_limited_" + UUID().uuidString.lowercased().prefix(8)
            let outcome = try pool.withConnection { connection -> Result<Int, PostgresError> in
                _ = try connection.execute("BEGIN")
                defer { _ = try? connection.execute("ROLLBACK") }
                _ = try connection.execute("ALTER ROLE exthost_cachefill RESET default_transaction_read_only")
                _ = try connection.execute("CREATE ROLE \(limited) NOLOGIN")
                _ = try connection.execute("SET LOCAL ROLE \(limited)")
                return Result { () throws(PostgresError) in try connection.execute(ProcessRoleSQL.ensureRoles) }
            }
            guard case .failure(.query(let sqlstate, let message)) = outcome else {
                Issue.record("expected the refusal, got \(outcome)")
                return
            }
            #expect(sqlstate == ProcessRoleSQL.setupRequiredSQLState)
            #expect(message.contains("role \(limited) may not create or alter roles"), "\(message)")
            #expect(message.contains("run: ALTER ROLE exthost_cachefill SET default_transaction_read_only = on; then run `exthost admin migrate`"), "\(message)")
            #expect(!message.contains("CREATE ROLE"), "roles that exist are not listed: \(message)")
            let setting = try pool.withConnection { connection in
                try connection.query(
                    """
                    SELECT count(*) AS n FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
                    WHERE r.rolname = 'exthost_cachefill' AND 'default_transaction_read_only=on' = ANY (s.setconfig)
                    """).rows[0]
            }
            #expect(try setting.int64("n") == 1, "the rollback restored the setting")
        }
    }

    @Test func grantStatementsFollowTheMatrix() {
        let statements = ProcessRoleSQL.grants(on: ["api_keys"])
        #expect(statements == [
            "REVOKE ALL ON TABLE api_keys FROM exthost_api, exthost_runner, exthost_cachefill",
            "GRANT SELECT, INSERT, UPDATE ON TABLE api_keys TO exthost_api",
            "GRANT SELECT, UPDATE (last_used_at) ON TABLE api_keys TO exthost_runner",
        ])
        let migration = Migrations.all[1]
        #expect(migration.label == "0002 process_roles")
        #expect(migration.statements.contains("GRANT SELECT, INSERT, UPDATE (publisher) ON TABLE extensions TO exthost_api"))
        #expect(migration.statements.count == 1 + ProcessRoleGrants.tables.count + ProcessRoleGrants.tables.reduce(0) { count, table in
            count + ProcessRole.allCases.filter { !table.privileges(of: $0).isEmpty }.count
        })
    }

    // MARK: - Catalog queries

    private static func relations(_ pool: PostgresPool) throws -> [(name: String, kind: String)] {
        try pool.withConnection { connection in
            try connection.query(
                """
                SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') ORDER BY c.relname
                """).rows.map { (try $0.string("name"), try $0.string("kind")) }
        }
    }

    private static func tablePrivileges(_ pool: PostgresPool, role: ProcessRole, table: String) throws -> Set<String> {
        try pool.withConnection { connection in
            var held: Set<String> = []
            for verb in tableVerbs {
                let row = try connection.query(
                    "SELECT has_table_privilege($1::text, $2::text, $3::text) AS held", [.text(role.name), .text(table), .text(verb)]).rows[0]
                if try row.bool("held") { held.insert(verb) }
            }
            return held
        }
    }

    private static func columnPrivileges(_ pool: PostgresPool, role: ProcessRole, table: String) throws -> [(String, Set<String>)] {
        try pool.withConnection { connection in
            try connection.query(
                """
                SELECT a.attname AS column, array_to_string(ARRAY(
                    SELECT v FROM unnest($3::text[]) AS v WHERE has_column_privilege($1::text, a.attrelid, a.attnum, v)), ',') AS held
                FROM pg_attribute a WHERE a.attrelid = $2::text::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                """, [.text(role.name), .text(table), .text("{" + columnVerbs.joined(separator: ",") + "}")]
            ).rows.map { row in
                let held = try row.string("held")
                return (try row.string("column"), Set(held.split(separator: ",").map(String.init)))
            }
        }
    }

    private static func allTablePrivileges(_ pool: PostgresPool) throws -> [String: Set<String>] {
        var all: [String: Set<String>] = [:]
        for table in ProcessRoleGrants.tables {
            for role in ProcessRole.allCases {
                all["\(role.name) \(table.name)"] = try tablePrivileges(pool, role: role, table: table.name)
            }
        }
        return all
    }
}
