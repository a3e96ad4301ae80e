import Glibc

/// A dedicated session that receives `NOTIFY` messages for a set of channels.
///
/// Invariants: every channel passed to `listen` is LISTENed on the current session, also after a
/// reconnect; a reconnect is reported once by `wait`, because notifications sent while the
/// session was down are lost and the caller has to refresh its state in full.
public final class PostgresListener {
    public struct Notification: Sendable, Equatable {
        public let channel: String
        public let payload: String

        public init(channel: String, payload: String) {
            self.channel = channel
            self.payload = payload
        }
    }

    /// What one `wait` observed.
    public struct Delivery: Sendable, Equatable {
        public let notifications: [Notification]
        /// True when the session was re-established since the previous `wait`.
        public let reconnected: Bool

        public init(notifications: [Notification], reconnected: Bool) {
            self.notifications = notifications
            self.reconnected = reconnected
        }
    }

    private let connection: PostgresConnection
    private var channels: [SQLIdentifier] = []
    private var reconnectPending = false
    private var needsSubscribe = false

    /// Opens the dedicated session; an empty `conninfo` means the `PG*` environment variables.
    public init(conninfo: String = PostgresConnection.environmentConninfo()) throws(PostgresError) {
        connection = try PostgresConnection(conninfo: conninfo)
    }

    /// The server process id of the listening session (for diagnostics and tests).
    public var backendPID: Int32 { connection.backendPID }

    /// Subscribes to more channels (plain lowercase identifiers; LISTEN takes no parameters).
    public func listen(_ names: [String]) throws(PostgresError) {
        var added: [SQLIdentifier] = []
        for name in names { added.append(try SQLIdentifier(name)) }
        try subscribe(added)
        channels += added
    }

    /// Waits up to `timeout` for notifications; returns early as soon as any arrive. A lost
    /// session is re-established (and re-subscribed) here; if that fails, `.unavailable` is
    /// thrown and the next call tries again.
    public func wait(timeout: Duration) throws(PostgresError) -> Delivery {
        try restore(force: false)
        var notifications = connection.takeNotifications()
        if notifications.isEmpty, readable(within: timeout) {
            if !connection.consumeInput() { try restore(force: true) }
            notifications = connection.takeNotifications()
        }
        defer { reconnectPending = false }
        return Delivery(notifications: notifications, reconnected: reconnectPending)
    }

    /// Reconnects when the session is lost (or `force`), then re-subscribes; a failure part way
    /// leaves the flags set so the next call resumes where this one stopped.
    private func restore(force: Bool) throws(PostgresError) {
        if force || !connection.isHealthy {
            try connection.reset()
            reconnectPending = true
            needsSubscribe = true
        }
        if needsSubscribe {
            try subscribe(channels)
            needsSubscribe = false
        }
    }

    private func subscribe(_ names: [SQLIdentifier]) throws(PostgresError) {
        for name in names { try connection.execute("LISTEN \(name.quoted)") }
    }

    private func readable(within timeout: Duration) -> Bool {
        var descriptor = pollfd(fd: connection.socketDescriptor, events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else { return true }
        let (seconds, attoseconds) = timeout.components
        let milliseconds = max(0, min(Int64(Int32.max), seconds * 1_000 + attoseconds / 1_000_000_000_000_000))
        while true {
            let ready = poll(&descriptor, 1, Int32(milliseconds))
            if ready >= 0 { return ready > 0 }
            if errno != EINTR { return true }
        }
    }
}
