/// The SQL that creates the process roles and grants them the privilege matrix, for migrations.
///
/// Invariants: every statement is one line without a line-ending `;` (what `Migration` splits
/// on) and safe to run again, in any database of a cluster, concurrently with other databases'
/// migrations: roles are cluster-global, so creating one that another migration created first
/// is not an error. Grants are re-stated from scratch (REVOKE ALL, then GRANT), never added to.
public enum ProcessRoleSQL {
    /// The SQLSTATE of "roles are missing and this login may not create them"; its message
    /// carries the SQL an operator has to run (`exthost admin migrate` prints it).
    public static let setupRequiredSQLState = "EXR01"

    /// One DO block: creates missing roles and role settings, or, when the migrating role has
    /// neither SUPERUSER nor CREATEROLE, fails with the statements to run in its message.
    public static var ensureRoles: String {
        var needed: [String] = []
        var create: [String] = []
        for role in ProcessRole.allCases {
            let missing = "NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = \(literal(role.name)))"
            let statement = role.createStatement
            needed.append("IF \(missing) THEN needed := needed || \(literal(statement + "; ")); END IF;")
            // Losing a race to another database's migration is fine: the role exists either way.
            create.append("IF \(missing) THEN BEGIN \(statement); EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END; END IF;")
            for setting in role.settings {
                let absent = """
                    NOT EXISTS (SELECT FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_roles r ON r.oid = s.setrole \
                    WHERE r.rolname = \(literal(role.name)) AND s.setdatabase = 0 \
                    AND \(literal(setting.name + "=" + setting.value)) = ANY (s.setconfig))
                    """
                let statement = role.settingStatement(setting)
                needed.append("IF \(absent) THEN needed := needed || \(literal(statement + "; ")); END IF;")
                create.append("IF \(absent) THEN \(statement); END IF;")
            }
        }
        let refusal = literal("the exthost process roles are incomplete and role ") + " || quote_ident(current_user) || "
            + literal(" may not create or alter roles (it has neither SUPERUSER nor CREATEROLE). As a superuser, run: ")
            + " || needed || " + literal("then run `exthost admin migrate` again (docs/postgres.md, \"Process roles\").")
        let lines =
            ["DO $exthost_roles$ DECLARE needed text := ''; may_create boolean; BEGIN"]
            + ["SELECT rolsuper OR rolcreaterole INTO may_create FROM pg_catalog.pg_roles WHERE rolname = current_user;"]
            + needed
            + ["IF needed = '' THEN RETURN; END IF;"]
            + ["IF NOT coalesce(may_create, false) THEN RAISE EXCEPTION USING ERRCODE = '\(setupRequiredSQLState)', MESSAGE = \(refusal); END IF;"]
            + create
            + ["END $exthost_roles$"]
        return lines.joined(separator: " ")
    }

    /// Re-grants `tables` to every process role exactly as `ProcessRoleGrants` says.
    /// A table the matrix does not name is a programming error (the migration would be wrong).
    public static func grants(on tables: [String]) -> [String] {
        let everyRole = ProcessRole.allCases.map(\.name).joined(separator: ", ")
        return tables.flatMap { name -> [String] in
            guard let table = ProcessRoleGrants.table(name) else {
                preconditionFailure("table \(name) has no entry in ProcessRoleGrants.tables")
            }
            let grants = ProcessRole.allCases.compactMap { role -> String? in
                let privileges = table.privileges(of: role)
                guard !privileges.isEmpty else { return nil }
                return "GRANT \(privileges.map(\.description).joined(separator: ", ")) ON TABLE \(name) TO \(role.name)"
            }
            return ["REVOKE ALL ON TABLE \(name) FROM \(everyRole)"] + grants
        }
    }

    private static func literal(_ text: String) -> String {
        "'" + text.replacing("'", with: "''") + "'"
    }
}
