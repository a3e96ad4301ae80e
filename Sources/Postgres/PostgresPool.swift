import Glibc
import Synchronization

/// A bounded, thread-safe set of reusable sessions.
///
/// Invariants: at most `maxConnections` sessions exist (idle plus checked out); a session goes
/// back to the idle list only when healthy and outside a transaction, otherwise it is dropped and
/// its slot freed; a session the server has closed meanwhile, or idle longer than
/// `healthCheckAfterIdle` and failing a ping (`SELECT 1`), is reconnected before use.
public final class PostgresPool: Sendable {
    public struct Configuration: Sendable {
        /// libpq conninfo or URL; "" means the `PG*` environment variables.
        public var conninfo: String
        public var maxConnections: Int
        public var checkoutTimeout: Duration
        public var healthCheckAfterIdle: Duration

        public init(
            conninfo: String = PostgresConnection.environmentConninfo(),
            maxConnections: Int = 10,
            checkoutTimeout: Duration = .seconds(5),
            healthCheckAfterIdle: Duration = .seconds(10)
        ) {
            self.conninfo = conninfo
            self.maxConnections = max(1, maxConnections)
            self.checkoutTimeout = checkoutTimeout
            self.healthCheckAfterIdle = healthCheckAfterIdle
        }
    }

    private struct Idle {
        let connection: PostgresConnection
        let since: ContinuousClock.Instant
    }

    private struct State {
        var idle: [Idle] = []
        var open = 0
    }

    private enum Slot {
        case idle(Idle)
        case reserved
        case none
    }

    public let configuration: Configuration
    private let state = Mutex(State())

    public init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Sessions currently open (idle or checked out).
    public var openConnections: Int { state.withLock { $0.open } }

    /// Checks a session out for `body` and back in afterwards, also when `body` throws.
    @discardableResult
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try checkout()
        defer { checkin(connection) }
        return try body(connection)
    }

    private func checkout() throws(PostgresError) -> PostgresConnection {
        let deadline = ContinuousClock.now + configuration.checkoutTimeout
        while true {
            let slot = state.withLock { state -> Slot in
                if let idle = state.idle.popLast() { return .idle(idle) }
                guard state.open < configuration.maxConnections else { return .none }
                state.open += 1
                return .reserved
            }
            switch slot {
            case .idle(let idle):
                if let connection = revalidate(idle) { return connection }
            case .reserved:
                do {
                    return try PostgresConnection(conninfo: configuration.conninfo)
                } catch {
                    release()
                    throw error
                }
            case .none:
                guard ContinuousClock.now < deadline else {
                    throw .unavailable(reason: "no pooled connection became free within \(configuration.checkoutTimeout)")
                }
                // Polling keeps the pool on Mutex alone; a 2 ms step is far below query latency.
                usleep(2_000)
            }
        }
    }

    /// The session ready for use, or nil after dropping it (its slot is then free again).
    private func revalidate(_ idle: Idle) -> PostgresConnection? {
        let connection = idle.connection
        let needsPing = ContinuousClock.now - idle.since >= configuration.healthCheckAfterIdle
        // A session the server closed while it sat idle (Postgres restarted) is caught here and
        // reconnected, so a restart costs no failed request.
        if connection.isHealthy, connection.isIdleAndOpen, !needsPing || (try? connection.execute("SELECT 1")) != nil {
            return connection
        }
        if (try? connection.reset()) != nil { return connection }
        release()
        return nil
    }

    private func checkin(_ connection: PostgresConnection) {
        if connection.isHealthy, connection.isInTransaction {
            _ = try? connection.execute("ROLLBACK")
        }
        guard connection.isHealthy, !connection.isInTransaction else {
            release()
            return
        }
        state.withLock { $0.idle.append(Idle(connection: connection, since: .now)) }
    }

    private func release() {
        state.withLock { $0.open -= 1 }
    }
}
