import ExthostCore
import Foundation
import Postgres
import Testing

@Suite struct ConnectionTests {
    @Test func everyParameterTypeRoundTrips() throws {
        let connection = try PostgresConnection(conninfo: TestDatabase.conninfo())
        let allBytes = (0...255).map { UInt8($0) }
        let unicode = "héllo wörld ✓ 日本語 🌍 'quote' \"dq\" \\back"
        let result = try connection.query(
            "SELECT $1::text AS t, $2::int8 AS small, $3::int8 AS large, $4::bool AS yes, $5::bool AS no, $6::bytea AS b, $7::float8 AS d, $8::jsonb AS j, $9::text AS n, $10::float8 AS inf",
            [.text(unicode), .int64(.min), .int64(.max), .bool(true), .bool(false), .bytea(allBytes), .double(3.141592653589793), .json(#"{"a": [1, "x"]}"#), .null, .double(-.infinity)])
        let row = try #require(result.rows.first)
        #expect(result.rows.count == 1)
        #expect(try row.string("t") == unicode)
        #expect(try row.int64("small") == .min)
        #expect(try row.int64("large") == .max)
        #expect(try row.bool("yes") == true)
        #expect(try row.bool("no") == false)
        #expect(try row.bytes("b") == allBytes)
        #expect(try row.double("d") == 3.141592653589793)
        #expect(try row.double("inf") == -.infinity)
        #expect(try row.string("j") == #"{"a": [1, "x"]}"#)
        #expect(try row.optionalString("n") == nil)
        #expect(try row.optionalInt64("n") == nil)
        #expect(try row.optionalBytes("n") == nil)
        #expect(throws: PostgresError.decoding(column: "n", expected: "non-null text")) { try row.string("n") }
        #expect(throws: PostgresError.decoding(column: "t", expected: "int8")) { try row.int64("t") }
        #expect(throws: PostgresError.decoding(column: "missing", expected: "existing column")) { try row.string("missing") }
    }

    @Test func nullOfEveryTypeStoresAsNull() throws {
        try TestDatabase.withSchema { pool, schema in
            try pool.withConnection { connection in
                try connection.execute("CREATE TABLE \(schema).v (t text, i int8, b bool, y bytea, d float8, j jsonb)")
                let inserted = try connection.execute("INSERT INTO \(schema).v VALUES ($1, $2, $3, $4, $5, $6)", Array(repeating: .null, count: 6))
                #expect(inserted == 1)
                let row = try #require(connection.query("SELECT * FROM \(schema).v").rows.first)
                #expect(try row.optionalString("t") == nil)
                #expect(try row.optionalInt64("i") == nil)
                #expect(try row.optionalBool("b") == nil)
                #expect(try row.optionalBytes("y") == nil)
                #expect(try row.optionalDouble("d") == nil)
                #expect(try row.optionalString("j") == nil)
            }
        }
    }

    @Test func sqlInjectionStaysData() throws {
        try TestDatabase.withSchema { pool, schema in
            try pool.withConnection { connection in
                try connection.execute("CREATE TABLE \(schema).people (name text NOT NULL)")
                let hostile = ["Robert'); DROP TABLE \(schema).people; --", "' OR '1'='1", "$1", "\\'; SELECT pg_sleep(10); --"]
                for name in hostile { try connection.execute("INSERT INTO \(schema).people (name) VALUES ($1)", [.text(name)]) }
                let stored = try connection.query("SELECT name FROM \(schema).people ORDER BY name").rows.map { try $0.string("name") }
                #expect(stored == hostile.sorted())
                let matched = try connection.query("SELECT count(*) AS n FROM \(schema).people WHERE name = $1", [.text("' OR '1'='1")])
                #expect(try matched.rows[0].int64("n") == 1)
            }
        }
    }

    @Test func affectedRowCounts() throws {
        try TestDatabase.withSchema { pool, schema in
            try pool.withConnection { connection in
                try connection.execute("CREATE TABLE \(schema).n (i int8)")
                #expect(try connection.execute("INSERT INTO \(schema).n SELECT generate_series(1, 7)") == 7)
                #expect(try connection.execute("UPDATE \(schema).n SET i = i + 1 WHERE i > $1", [.int64(4)]) == 3)
                #expect(try connection.execute("DELETE FROM \(schema).n") == 7)
            }
        }
    }

    @Test func uniqueViolationIsTyped() throws {
        try TestDatabase.withSchema { pool, schema in
            try pool.withConnection { connection in
                try connection.execute("CREATE TABLE \(schema).u (email text CONSTRAINT u_email_key UNIQUE)")
                try connection.execute("INSERT INTO \(schema).u VALUES ($1)", [.text("secret@example.com")])
                do {
                    try connection.execute("INSERT INTO \(schema).u VALUES ($1)", [.text("secret@example.com")])
                    Issue.record("duplicate accepted")
                } catch let error as PostgresError {
                    #expect(error == .uniqueViolation(constraint: "u_email_key"))
                    #expect(error.status == .conflict)
                    #expect(!error.message.contains("secret@example.com"))
                }
                // The session stays usable after a statement error outside a transaction.
                #expect(try connection.query("SELECT 1 AS one").rows[0].int64("one") == 1)
            }
        }
    }

    @Test func queryErrorsCarrySQLStateButNoValues() throws {
        let connection = try PostgresConnection(conninfo: TestDatabase.conninfo())
        do {
            try connection.query("SELECT $1::int AS n", [.text("hunter2-not-a-number")])
            Issue.record("invalid integer accepted")
        } catch {
            guard case .query(let sqlstate, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(sqlstate == "22P02")
            #expect(error.code == "DATABASE_ERROR")
            #expect(error.status == .internalServerError)
            #expect(!error.message.contains("hunter2"))
        }
        #expect(throws: PostgresError.self) { try connection.query("SELEC 1") }
        #expect(throws: PostgresError.query(sqlstate: "22021", message: "parameter 2 contains a NUL byte")) {
            try connection.query("SELECT $1::text, $2::text", [.null, .text("cut\u{0}here")])
        }
    }

    @Test func wrongPortIsUnavailableWithoutThePassword() throws {
        let host = ProcessInfo.processInfo.environment["PGHOST"] ?? "/tmp"
        let conninfo = "host=\(host) port=1 dbname=exthost user=postgres password=hunter2-secret connect_timeout=2"
        do {
            _ = try PostgresConnection(conninfo: conninfo)
            Issue.record("connected to port 1")
        } catch {
            guard case .unavailable(let reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(error.code == "DATABASE_UNAVAILABLE")
            #expect(error.status == .serviceUnavailable)
            #expect(!reason.contains("hunter2") && !error.message.contains("hunter2") && !"\(error)".contains("hunter2"))
        }
        let pool = PostgresPool(.init(conninfo: conninfo, maxConnections: 1))
        #expect(throws: PostgresError.self) { try pool.withConnection { _ in } }
        #expect(pool.openConnections == 0)
    }
}
