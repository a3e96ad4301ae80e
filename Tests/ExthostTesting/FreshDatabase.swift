import Foundation
import Postgres
import Registry
import Testing

/// A database created empty for one test and dropped afterwards, on the stack's Postgres.
public enum FreshDatabase {
    public static func baseConninfo() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        return try #require(
            environment["EXTHOST_DATABASE_URL"] ?? (environment["PGHOST"] != nil ? "" : nil),
            "No database in the environment: run under scripts/test (or eval \"$(scripts/stack env)\" first)")
    }

    /// `base` pointed at `database`: a later `dbname` overrides the first in both libpq syntaxes.
    public static func conninfo(_ base: String, database: String) -> String {
        guard base.contains("://") else { return base + " dbname=" + database }
        return base + (base.contains("?") ? "&" : "?") + "dbname=" + database
    }

    /// Runs `body` with a pool factory for a new empty database, dropping it afterwards.
    public static func with(_ body: (_ makePool: () -> PostgresPool) throws -> Void) throws {
        let base = try baseConninfo()
        let name = "exthost_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let admin = try PostgresConnection(conninfo: base)
        try admin.execute("CREATE DATABASE \(name)")
        defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        let conninfo = conninfo(base, database: name)
        try body { PostgresPool(.init(conninfo: conninfo, maxConnections: 2)) }
    }

    /// Runs `body` on a new database that has every migration applied.
    public static func migrated(_ body: (PostgresPool) throws -> Void) throws {
        try with { makePool in
            let pool = makePool()
            try MigrationRunner(pool: pool).apply()
            try body(pool)
        }
    }
}
