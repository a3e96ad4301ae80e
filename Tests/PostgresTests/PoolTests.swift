import ExthostCore
import Foundation
import Postgres
import Synchronization
import Testing

@Suite struct PoolTests {
    @Test func checkoutBeyondTheBoundWaitsThenTimesOut() throws {
        let pool = try TestDatabase.pool(maxConnections: 2, checkoutTimeout: .milliseconds(300))
        try pool.withConnection { first in
            try pool.withConnection { second in
                #expect(first !== second)
                #expect(pool.openConnections == 2)
                let started = ContinuousClock.now
                do {
                    try pool.withConnection { _ in Issue.record("third connection handed out") }
                } catch let error as PostgresError {
                    #expect(error.code == "DATABASE_UNAVAILABLE")
                    #expect(ContinuousClock.now - started >= .milliseconds(300))
                }
            }
        }
        #expect(pool.openConnections == 2)
    }

    @Test func waitingCheckoutGetsTheReleasedConnection() throws {
        let pool = try TestDatabase.pool(maxConnections: 1, checkoutTimeout: .seconds(5))
        let holding = Rendezvous(parties: 2)
        let holder = Thread {
            try? pool.withConnection { _ in
                _ = holding.arriveAndWait()
                usleep(200_000)
            }
        }
        holder.start()
        #expect(holding.arriveAndWait())
        let started = ContinuousClock.now
        let one = try pool.withConnection { try $0.query("SELECT 1 AS one").rows[0].int64("one") }
        #expect(one == 1)
        #expect(ContinuousClock.now - started >= .milliseconds(100))
        #expect(pool.openConnections == 1)
    }

    /// With a ping after every idle moment (`.zero`) and with none for an hour: a restart of
    /// Postgres closes every idle session at once, and the next checkout, well inside the ping
    /// interval, must still get a working session rather than fail once.
    @Test(arguments: [Duration.zero, .seconds(3600)])
    func connectionTerminatedElsewhereIsReplacedOnCheckout(healthCheckAfterIdle: Duration) throws {
        let pool = try TestDatabase.pool(maxConnections: 1, healthCheckAfterIdle: healthCheckAfterIdle)
        let oldPID = try pool.withConnection { $0.backendPID }
        try TestDatabase.terminate(backend: oldPID)
        let newPID = try pool.withConnection { connection throws -> Int32 in
            #expect(try connection.query("SELECT 1 AS one").rows[0].int64("one") == 1)
            return connection.backendPID
        }
        #expect(newPID != oldPID)
        #expect(pool.openConnections == 1)
    }

    @Test func connectionThatDiesInUseIsDiscarded() throws {
        let pool = try TestDatabase.pool(maxConnections: 1)
        let oldPID = try pool.withConnection { $0.backendPID }
        do {
            try pool.withConnection { try $0.execute("SELECT pg_terminate_backend(pg_backend_pid())") }
            Issue.record("self-termination went unnoticed")
        } catch let error as PostgresError {
            #expect(error.code == "DATABASE_UNAVAILABLE")
        }
        let newPID = try pool.withConnection { $0.backendPID }
        #expect(newPID != oldPID)
        #expect(pool.openConnections == 1)
    }

    @Test func openTransactionIsRolledBackAtCheckin() throws {
        try TestDatabase.withSchema { _, schema in
            let pool = try TestDatabase.pool(maxConnections: 1)
            try pool.withConnection { connection in
                try connection.execute("CREATE TABLE \(schema).leak (i int8)")
                try connection.execute("BEGIN")
                try connection.execute("INSERT INTO \(schema).leak VALUES (1)")
            }
            let count = try pool.withConnection { connection in
                #expect(!connection.isInTransaction)
                return try connection.query("SELECT count(*) AS n FROM \(schema).leak").rows[0].int64("n")
            }
            #expect(count == 0)
        }
    }
}
