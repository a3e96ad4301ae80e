import ExthostCore
import Foundation
import Postgres
import Synchronization
import Testing

/// The stack's Postgres for tests, plus a throwaway schema per test so runs never collide.
enum TestDatabase {
    static func conninfo() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        return try #require(
            environment["EXTHOST_DATABASE_URL"] ?? (environment["PGHOST"] != nil ? "" : nil),
            "No database in the environment: run under scripts/test (or eval \"$(scripts/stack env)\" first)")
    }

    static func pool(maxConnections: Int = 4, checkoutTimeout: Duration = .seconds(5), healthCheckAfterIdle: Duration = .seconds(10)) throws -> PostgresPool {
        PostgresPool(.init(conninfo: try conninfo(), maxConnections: maxConnections, checkoutTimeout: checkoutTimeout, healthCheckAfterIdle: healthCheckAfterIdle))
    }

    static func uniqueName(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    }

    /// Runs `body` with a fresh schema name, dropping the schema afterwards (also on failure).
    static func withSchema(_ body: (PostgresPool, String) throws -> Void) throws {
        let pool = try pool()
        let schema = uniqueName("t")
        try pool.withConnection { try $0.execute("CREATE SCHEMA \(schema)") }
        defer { _ = try? pool.withConnection { try $0.execute("DROP SCHEMA \(schema) CASCADE") } }
        try body(pool, schema)
    }

    /// Terminates a backend from another session and waits until it is gone.
    static func terminate(backend pid: Int32) throws {
        let admin = try PostgresConnection(conninfo: conninfo())
        let terminated = try admin.query("SELECT pg_terminate_backend($1::int4) AS ok", [.int64(Int64(pid))])
        #expect(try terminated.rows[0].bool("ok"))
        for _ in 0..<500 {
            let alive = try admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1", [.int64(Int64(pid))])
            if try alive.rows[0].int64("n") == 0 { return }
            usleep(10_000)
        }
        Issue.record("backend \(pid) still alive")
    }
}

/// A countdown the test threads use to line up their first attempts.
final class Rendezvous: Sendable {
    private let arrived = Mutex(0)
    private let parties: Int

    init(parties: Int) { self.parties = parties }

    /// Returns true when all parties arrived within five seconds.
    func arriveAndWait() -> Bool {
        arrived.withLock { $0 += 1 }
        for _ in 0..<5_000 {
            if arrived.withLock({ $0 >= parties }) { return true }
            usleep(1_000)
        }
        return false
    }
}
