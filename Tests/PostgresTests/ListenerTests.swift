import ExthostCore
import Foundation
import Postgres
import Testing

@Suite struct ListenerTests {
    /// Waits until `predicate` holds for a delivery, collecting up to a few seconds.
    private func collect(_ listener: PostgresListener, until predicate: ([PostgresListener.Notification], Bool) -> Bool) throws -> ([PostgresListener.Notification], Bool) {
        var notifications: [PostgresListener.Notification] = []
        var reconnected = false
        let deadline = ContinuousClock.now + .seconds(10)
        while !predicate(notifications, reconnected), ContinuousClock.now < deadline {
            switch Result(catching: { () throws(PostgresError) in try listener.wait(timeout: .milliseconds(500)) }) {
            case .success(let delivery):
                notifications += delivery.notifications
                reconnected = reconnected || delivery.reconnected
            case .failure(let error):
                // The server may refuse a reconnect for a moment; anything else is a failure.
                guard error.code == "DATABASE_UNAVAILABLE" else { throw error }
                usleep(50_000)
            }
        }
        return (notifications, reconnected)
    }

    @Test func notificationsArriveWithPayload() throws {
        let channel = TestDatabase.uniqueName("chan")
        let listener = try PostgresListener(conninfo: TestDatabase.conninfo())
        try listener.listen([channel])
        let quiet = try listener.wait(timeout: .milliseconds(50))
        #expect(quiet == .init(notifications: [], reconnected: false))

        let pool = try TestDatabase.pool()
        let payload = #"{"id":"abc","hash":"sha256:00","enabled":true} ünïcode ✓"#
        try pool.withConnection { try $0.notify(channel: channel, payload: payload) }
        try pool.transaction { try $0.notify(channel: channel, payload: "second") }
        let (received, reconnected) = try collect(listener) { notifications, _ in notifications.count >= 2 }
        #expect(received == [.init(channel: channel, payload: payload), .init(channel: channel, payload: "second")])
        #expect(!reconnected)
    }

    @Test func rolledBackNotificationIsNotDelivered() throws {
        let channel = TestDatabase.uniqueName("chan")
        let listener = try PostgresListener(conninfo: TestDatabase.conninfo())
        try listener.listen([channel])
        let pool = try TestDatabase.pool()
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try pool.transaction { connection in
                try connection.notify(channel: channel, payload: "never")
                throw Abort()
            }
        }
        try pool.withConnection { try $0.notify(channel: channel, payload: "after") }
        let (received, _) = try collect(listener) { notifications, _ in !notifications.isEmpty }
        #expect(received.map(\.payload) == ["after"])
    }

    @Test func listenerReconnectsAndReportsIt() throws {
        let channel = TestDatabase.uniqueName("chan")
        let listener = try PostgresListener(conninfo: TestDatabase.conninfo())
        try listener.listen([channel])
        let oldPID = listener.backendPID
        try TestDatabase.terminate(backend: oldPID)

        let (_, reconnected) = try collect(listener) { _, reconnected in reconnected }
        #expect(reconnected)
        #expect(listener.backendPID != oldPID)

        let pool = try TestDatabase.pool()
        try pool.withConnection { try $0.notify(channel: channel, payload: "after reconnect") }
        let (received, again) = try collect(listener) { notifications, _ in !notifications.isEmpty }
        #expect(received == [.init(channel: channel, payload: "after reconnect")])
        #expect(!again, "a reconnect is reported once")
    }

    @Test func channelNamesAreValidated() throws {
        let listener = try PostgresListener(conninfo: TestDatabase.conninfo())
        #expect(throws: PostgresError.invalidIdentifier("x\"; DROP TABLE y; --")) { try listener.listen(["x\"; DROP TABLE y; --"]) }
    }
}
