import ExthostCore
import Foundation
import Postgres
import Synchronization
import Testing

@Suite struct TransactionTests {
    struct Boom: Error {}

    @Test func thrownErrorRollsBack() throws {
        try TestDatabase.withSchema { pool, schema in
            try pool.withConnection { try $0.execute("CREATE TABLE \(schema).t (i int8)") }
            #expect(throws: Boom.self) {
                try pool.transaction { connection in
                    try connection.execute("INSERT INTO \(schema).t VALUES ($1)", [.int64(1)])
                    throw Boom()
                }
            }
            try pool.transaction { try $0.execute("INSERT INTO \(schema).t VALUES ($1)", [.int64(2)]) }
            let values = try pool.withConnection { try $0.query("SELECT i FROM \(schema).t").rows.map { try $0.int64("i") } }
            #expect(values == [2])
        }
    }

    @Test func serializationFailureIsRetried() throws {
        try TestDatabase.withSchema { pool, schema in
            let outcome = try racingIncrements(pool: pool, schema: schema, retries: 3)
            #expect(outcome.errors.isEmpty)
            #expect(outcome.finalValue == 2)
            #expect(outcome.attempts == 3, "one of the two transactions should have run twice")
        }
    }

    @Test func serializationFailureSurfacesWithoutRetries() throws {
        try TestDatabase.withSchema { pool, schema in
            let outcome = try racingIncrements(pool: pool, schema: schema, retries: 0)
            #expect(outcome.errors == [.serializationFailure])
            #expect(outcome.finalValue == 1)
        }
    }

    struct RaceOutcome {
        var errors: [PostgresError]
        var attempts: Int
        var finalValue: Int64
    }

    /// Two SERIALIZABLE transactions read the same row, meet, then both increment it: exactly one
    /// of them must hit 40001.
    private func racingIncrements(pool: PostgresPool, schema: String, retries: Int) throws -> RaceOutcome {
        try pool.withConnection { connection in
            try connection.execute("CREATE TABLE \(schema).counter (id int PRIMARY KEY, value int8 NOT NULL)")
            try connection.execute("INSERT INTO \(schema).counter VALUES (1, 0)")
        }
        let rendezvous = Rendezvous(parties: 2)
        let attempts = Mutex(0)
        let errors = Mutex<[PostgresError]>([])
        let group = DispatchGroup()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: group) {
                do {
                    try pool.transaction(isolation: .serializable, retries: retries) { connection in
                        let first = attempts.withLock { count in
                            count += 1
                            return count <= 2
                        }
                        let value = try connection.query("SELECT value FROM \(schema).counter WHERE id = 1").rows[0].int64("value")
                        if first { _ = rendezvous.arriveAndWait() }
                        try connection.execute("UPDATE \(schema).counter SET value = $1 WHERE id = 1", [.int64(value + 1)])
                    }
                } catch let error as PostgresError {
                    errors.withLock { $0.append(error) }
                } catch {
                    Issue.record("unexpected \(error)")
                }
            }
        }
        #expect(group.wait(timeout: .now() + 30) == .success)
        let finalValue = try pool.withConnection { try $0.query("SELECT value FROM \(schema).counter").rows[0].int64("value") }
        return RaceOutcome(errors: errors.withLock { $0 }, attempts: attempts.withLock { $0 }, finalValue: finalValue)
    }
}
