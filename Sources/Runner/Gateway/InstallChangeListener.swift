import Glibc
import JSON
import Logging
import Postgres
import Registry

/// Keeps a worker's `TargetCache` in step with the registry: a thread of its own listens on
/// `exthost_installs` and drops the changed tenant's entries as each notification arrives.
///
/// Invariants: after a reconnect or any failure the whole cache is dropped, since
/// notifications may have been missed; the thread is created with every signal blocked, so
/// the FastCGI server's `sigwait` stays the only receiver of SIGTERM. The cache's own TTL
/// still bounds staleness while the listener is down.
public final class InstallChangeListener: Sendable {
    private let cache: TargetCache
    private let conninfo: String
    private let logger: Logger

    private init(cache: TargetCache, conninfo: String, logger: Logger) {
        self.cache = cache
        self.conninfo = conninfo
        self.logger = logger
    }

    /// Starts the listening thread (detached, for the life of the process).
    public static func start(cache: TargetCache, conninfo: String = PostgresConnection.environmentConninfo(), logger: Logger) {
        let listener = InstallChangeListener(cache: cache, conninfo: conninfo, logger: logger)
        var all = sigset_t()
        var previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(listener).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<InstallChangeListener>.fromOpaque(context).takeRetainedValue().run()
        }, context)
        guard created == 0 else {
            Unmanaged<InstallChangeListener>.fromOpaque(context).release()
            logger.error("install listener: cannot start its thread; relying on the cache TTL", metadata: ["errno": "\(created)"])
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
                    try opened.listen([InstallNotification.channel])
                    session = opened
                    cache.invalidateAll()
                }
                guard let listening = session else { continue }
                let delivery = try listening.wait(timeout: .seconds(30))
                if delivery.reconnected { cache.invalidateAll() }
                for notification in delivery.notifications { apply(notification) }
            } catch {
                logger.warning("install listener: \(error); retrying in 1 s", metadata: ["code": "\(error.code)"])
                session = nil
                cache.invalidateAll()
                sleep(1)
            }
        }
    }

    private func apply(_ notification: PostgresListener.Notification) {
        guard let payload = try? JSONValue.parse(notification.payload), let tenantID = payload["tenantId"]?.stringValue else {
            cache.invalidateAll()
            return
        }
        cache.invalidate(tenantID: tenantID)
    }
}
