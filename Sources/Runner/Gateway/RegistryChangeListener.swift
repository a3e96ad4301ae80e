import Glibc
import Logging
import Postgres

/// Keeps a worker's caches in step with the registry: a thread of its own listens on
/// `exthost_installs` (drops the changed tenant's targets) and `exthost_api_keys` (a key was
/// revoked: forgets every verified key) as each notification arrives.
///
/// Invariants: after a reconnect or any failure both caches are dropped whole, since
/// notifications may have been missed (`RegistryCacheInvalidation` decides what each
/// notification drops); the thread is created with every signal blocked, so the FastCGI
/// server's `sigwait` stays the only receiver of SIGTERM. The caches' own TTLs still bound
/// staleness while the listener is down. Nothing here is node-local: every node's listener
/// hears every node's changes through the shared Postgres.
public final class RegistryChangeListener: Sendable {
    private let invalidation: RegistryCacheInvalidation
    private let conninfo: String
    private let logger: Logger

    private init(targets: TargetCache, keys: VerifiedKeyCache, conninfo: String, logger: Logger) {
        self.invalidation = RegistryCacheInvalidation(targets: targets, keys: keys)
        self.conninfo = conninfo
        self.logger = logger
    }

    /// Starts the listening thread (detached, for the life of the process).
    public static func start(
        targets: TargetCache, keys: VerifiedKeyCache, conninfo: String = PostgresConnection.environmentConninfo(), logger: Logger
    ) {
        let listener = RegistryChangeListener(targets: targets, keys: keys, conninfo: conninfo, logger: logger)
        var all = sigset_t()
        var previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(listener).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<RegistryChangeListener>.fromOpaque(context).takeRetainedValue().run()
        }, context)
        guard created == 0 else {
            Unmanaged<RegistryChangeListener>.fromOpaque(context).release()
            logger.error("registry listener: cannot start its thread; relying on the caches' TTLs", metadata: ["errno": "\(created)"])
            return
        }
        pthread_detach(thread)
    }

    private func run() -> Never {
        var session: PostgresListener?
        while true {
            do {
                if session == nil {
                    let opened = try PostgresListener(conninfo: conninfo)
                    try opened.listen(RegistryCacheInvalidation.channels)
                    session = opened
                    invalidation.sessionChanged()
                }
                guard let listening = session else { continue }
                let delivery = try listening.wait(timeout: .seconds(30))
                if delivery.reconnected { invalidation.sessionChanged() }
                for notification in delivery.notifications {
                    invalidation.apply(channel: notification.channel, payload: notification.payload)
                }
            } catch {
                logger.warning("registry listener: \(error); retrying in 1 s", metadata: ["code": "\(error.code)"])
                session = nil
                invalidation.sessionChanged()
                sleep(1)
            }
        }
    }
}
