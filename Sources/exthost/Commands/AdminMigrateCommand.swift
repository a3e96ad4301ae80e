import ArgumentParser
import Registry

/// `exthost admin migrate`: applies the migrations the database lacks; safe to rerun and to run
/// from several hosts at once (they serialize on an advisory lock).
struct AdminMigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply missing schema migrations and print each one applied."
    )

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let runner = MigrationRunner(pool: database.pool())
        let applied = try registryAttempt("cannot migrate") { () throws(RegistryError) in try runner.apply() }
        for migration in applied { print("applied \(migration.label)") }
        if applied.isEmpty {
            let version = try registryAttempt("cannot read the schema version") { () throws(RegistryError) in try runner.currentVersion() }
            print("schema is up to date (version \(version))")
        }
    }
}

/// `exthost admin schema-version`: prints the database's schema version and this binary's.
struct AdminSchemaVersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema-version",
        abstract: "Print the database schema version and the version this binary needs; exit 1 if outdated."
    )

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let version = try registryAttempt("cannot read the schema version") { () throws(RegistryError) in
            try MigrationRunner(pool: database.pool()).currentVersion()
        }
        print("database \(version), binary \(Migrations.latest)")
        if version < Migrations.latest { throw ExitCode.failure }
    }
}
