import ExthostCore
import ExthostTesting
import Foundation
import Postgres
import Registry
import Synchronization
import Testing

@Suite struct MigrationTests {
    static let tables = [
        "exthost_schema_migrations", "extensions", "bundles", "extension_versions", "api_keys", "installs",
        "install_secrets", "upload_sessions", "extension_storage", "execution_log",
    ]

    @Test func versionsAreContiguousFromOne() {
        #expect(Migrations.all.map(\.version) == Array(1...Migrations.all.count))
        #expect(Migrations.latest == Migrations.all.count)
        #expect(Migrations.all[0].label == "0001 initial")
    }

    @Test func statementsSplitAtLineEndingSemicolons() {
        let migration = Migration(version: 1, name: "t", sql: """
            -- leading comment
            CREATE TABLE a (x text DEFAULT 'a;b');
            CREATE INDEX i ON a (x);  \n
            -- trailing comment only
            """)
        #expect(migration.statements == ["-- leading comment\nCREATE TABLE a (x text DEFAULT 'a;b')", "CREATE INDEX i ON a (x)"])
    }

    @Test func fromEmptyAppliesAllAndRerunAppliesNothing() throws {
        try FreshDatabase.with { makePool in
            let pool = makePool()
            let runner = MigrationRunner(pool: pool)
            #expect(try runner.currentVersion() == 0)
            #expect(try runner.apply() == Migrations.all)
            #expect(try runner.currentVersion() == Migrations.latest)
            for table in Self.tables {
                let found = try pool.withConnection { try $0.query("SELECT to_regclass($1) IS NOT NULL AS present", [.text(table)]) }
                #expect(try found.rows[0].bool("present"), "table \(table) missing")
            }
            #expect(try runner.apply() == [])
            #expect(try historyCount(pool) == Migrations.all.count)
        }
    }

    @Test func concurrentRunnersApplyEachMigrationOnce() throws {
        try FreshDatabase.with { makePool in
            let runners = (0..<4).map { _ in MigrationRunner(pool: makePool()) }
            let outcomes = Mutex<[Result<[Migration], RegistryError>]>([])
            DispatchQueue.concurrentPerform(iterations: runners.count) { index in
                let outcome = Result { () throws(RegistryError) in try runners[index].apply() }
                outcomes.withLock { $0.append(outcome) }
            }
            let applied = try outcomes.withLock { $0 }.map { try $0.get() }
            #expect(applied.filter { !$0.isEmpty } == [Migrations.all])
            #expect(try historyCount(runners[0].pool) == Migrations.all.count)
        }
    }

    @Test func requireCurrentRefusesAnOlderSchema() throws {
        try FreshDatabase.with { makePool in
            let pool = makePool()
            let error = #expect(throws: RegistryError.self) { try Migrations.requireCurrent(pool: pool) }
            #expect(error == .schemaOutdated(current: 0, required: Migrations.latest))
            #expect(error?.code == "SCHEMA_OUTDATED")
            #expect(error?.status == .serviceUnavailable)
            #expect(error?.message == "database schema is at version 0, this binary needs \(Migrations.latest): run `exthost admin migrate`")

            try MigrationRunner(pool: pool).apply()
            #expect(try Migrations.requireCurrent(pool: pool) == .current(version: Migrations.latest))

            let future = Migrations.latest + 1
            try pool.withConnection {
                try $0.execute("INSERT INTO exthost_schema_migrations (version, name) VALUES ($1::int4, 'future')", [.int64(Int64(future))])
            }
            #expect(try Migrations.requireCurrent(pool: pool) == .newer(database: future, binary: Migrations.latest))
        }
    }

    @Test func unreachableDatabaseIsUnavailable() {
        let pool = PostgresPool(.init(conninfo: "host=/nonexistent/socket/dir port=1 dbname=x connect_timeout=2", maxConnections: 1))
        let error = #expect(throws: RegistryError.self) { try MigrationRunner(pool: pool).apply() }
        #expect(error?.code == "DATABASE_UNAVAILABLE")
        #expect(error?.status == .serviceUnavailable)
    }

    private func historyCount(_ pool: PostgresPool) throws -> Int {
        let result = try pool.withConnection {
            try $0.query("SELECT count(*) AS n, count(DISTINCT version) AS d FROM exthost_schema_migrations")
        }
        #expect(try result.rows[0].int64("n") == result.rows[0].int64("d"))
        return Int(try result.rows[0].int64("n"))
    }
}
