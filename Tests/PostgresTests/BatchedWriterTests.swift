import ExthostCore
import Foundation
import Postgres
import Testing

@Suite struct BatchedWriterTests {
    @Test func tenThousandRowsInFewStatementsAndCloseDrains() throws {
        try TestDatabase.withSchema { pool, schema in
            try pool.withConnection { try $0.execute("CREATE TABLE \(schema).log (seq int8 NOT NULL, message text)") }
            let writer = try BatchedWriter(
                pool: pool, table: "\(schema).log", columns: ["seq", "message"],
                configuration: .init(maxBatchRows: 5_000, flushInterval: .seconds(60), queueCapacity: 20_000))
            for index in 0..<10_000 { writer.append([.int64(Int64(index)), .text("row \(index) '); --")]) }
            try writer.close()
            let statistics = writer.statistics
            #expect(statistics.writtenRows == 10_000)
            #expect(statistics.droppedRows == 0 && statistics.failedRows == 0)
            #expect(statistics.statements <= 4)
            let row = try pool.withConnection { try $0.query("SELECT count(*) AS n, count(DISTINCT seq) AS d, max(message) FILTER (WHERE seq = 42) AS m FROM \(schema).log").rows[0] }
            #expect(try row.int64("n") == 10_000)
            #expect(try row.int64("d") == 10_000)
            #expect(try row.string("m") == "row 42 '); --")
        }
    }

    @Test func flushWritesWithoutWaitingForTheInterval() throws {
        try TestDatabase.withSchema { pool, schema in
            try pool.withConnection { try $0.execute("CREATE TABLE \(schema).log (seq int8, payload bytea)") }
            let writer = try BatchedWriter(pool: pool, table: "\(schema).log", columns: ["seq", "payload"], configuration: .init(flushInterval: .seconds(60)))
            defer { try? writer.close() }
            for index in 0..<3 { writer.append([.int64(Int64(index)), .bytea([0, UInt8(index), 255])]) }
            try writer.flush()
            let count = try pool.withConnection { try $0.query("SELECT count(*) AS n FROM \(schema).log").rows[0].int64("n") }
            #expect(count == 3)
        }
    }

    @Test func fullQueueDropsOldestAndCounts() throws {
        try TestDatabase.withSchema { pool, schema in
            try pool.withConnection { try $0.execute("CREATE TABLE \(schema).log (seq int8)") }
            // Neither the batch size nor the interval is reached while filling, so nothing drains before close().
            let writer = try BatchedWriter(pool: pool, table: "\(schema).log", columns: ["seq"], configuration: .init(maxBatchRows: 1_000, flushInterval: .seconds(60), queueCapacity: 10))
            for index in 0..<25 { writer.append([.int64(Int64(index))]) }
            try writer.close()
            let statistics = writer.statistics
            #expect(statistics.droppedRows + statistics.writtenRows == 25)
            #expect(statistics.droppedRows == 15)
            let kept = try pool.withConnection { try $0.query("SELECT seq FROM \(schema).log ORDER BY seq").rows.map { try $0.int64("seq") } }
            #expect(kept == Array(15..<25))
        }
    }

    @Test func failedBatchIsReportedByFlush() throws {
        try TestDatabase.withSchema { pool, schema in
            try pool.withConnection { try $0.execute("CREATE TABLE \(schema).log (seq int8 CHECK (seq >= 0))") }
            let writer = try BatchedWriter(pool: pool, table: "\(schema).log", columns: ["seq"])
            defer { try? writer.close() }
            writer.append([.int64(-1)])
            #expect(throws: PostgresError.checkViolation(constraint: "log_seq_check")) { try writer.flush() }
            #expect(writer.statistics.failedRows == 1)
            writer.append([.int64(1)])
            try writer.flush()
        }
    }

    @Test func identifiersAreValidated() throws {
        let pool = try TestDatabase.pool()
        #expect(throws: PostgresError.invalidIdentifier("log; DROP TABLE x")) {
            _ = try BatchedWriter(pool: pool, table: "log; DROP TABLE x", columns: ["a"])
        }
        #expect(throws: PostgresError.invalidIdentifier("A")) {
            _ = try BatchedWriter(pool: pool, table: "log", columns: ["A"])
        }
    }
}
