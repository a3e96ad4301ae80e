import ArgumentParser
import Postgres
import Registry

/// `exthost admin`: operator tasks against the registry database.
struct AdminCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Administer the registry database (schema migrations, API keys).",
        discussion: """
            The database is --database-url, else EXTHOST_DATABASE_URL, else libpq's PG* \
            variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD).

              eval "$(scripts/stack env)"; exthost admin migrate
              KEY=$(exthost admin create-key --tenant "$TENANT" --role admin)
              exthost admin list-keys
              exthost admin revoke-key "$KEY"
            """,
        subcommands: [
            AdminMigrateCommand.self, AdminSchemaVersionCommand.self,
            AdminCreateKeyCommand.self, AdminRevokeKeyCommand.self, AdminListKeysCommand.self,
            AdminGCCommand.self, AdminMigrateStoreCommand.self, AdminRotateSecretsCommand.self, AdminFsckCommand.self,
        ]
    )
}

/// The database an admin command talks to.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "libpq connection URL or conninfo (default: EXTHOST_DATABASE_URL, else PG* variables).")
    var databaseURL: String?

    /// A one-connection pool: admin commands run their statements one after another.
    func pool() -> PostgresPool {
        PostgresPool(.init(conninfo: databaseURL ?? PostgresConnection.environmentConninfo(), maxConnections: 1))
    }
}

/// Runs a registry operation, turning failures into one terminal line; an unreachable database
/// also gets libpq's reason (it names the host or socket, never the password).
func registryAttempt<T>(_ context: String, _ body: () throws(RegistryError) -> T) throws -> T {
    do {
        return try body()
    } catch .database(.unavailable(let reason)) {
        throw CLIError("\(context): the database is unreachable: \(reason)")
    } catch .database(.query(let sqlstate, let message)) where sqlstate == ProcessRoleSQL.setupRequiredSQLState {
        // Our migration's own text (no data in it): the SQL the operator has to run.
        throw CLIError("\(context): \(message)")
    } catch {
        throw CLIError("\(context): \(CLIError(error).description)")
    }
}
