import Bundle
import BundleStore
import ContentCache
import ExthostCore
import Glibc
import Logging
import Postgres
import Registry

/// The `exthost-cachefill` process: keeps this node's content tree in line with the registry
/// (notifications, periodic reconcile) and fills trees on request over its unix socket.
///
/// Invariants: SIGTERM/SIGINT are blocked in every thread and received only by `run` (the
/// constructor blocks them before any thread exists); the daemon owns the cache root (its lock)
/// for its whole life; `READY=1` goes to systemd after the first reconcile, `STOPPING=1` as the
/// stop begins.
public final class CacheFillDaemon: Sendable {
    let configuration: CacheFillConfiguration
    let logger: Logger
    let notifier: SystemdNotifier
    let cache: ContentCache
    let status = DaemonStatus()
    let stop = StopFlag()
    let queue = ReconcileQueue()
    let filler: BundleFiller
    let reconciler: Reconciler
    let server: FillServer
    let notifications: NotificationLoop
    let statusWriter: StatusWriter

    /// Opens everything the daemon needs, or throws without having started anything.
    public init(configuration: CacheFillConfiguration, environment: [String: String], logger: Logger) throws(CacheFillStartError) {
        StopSignals.block()
        let problems = configuration.problems()
        guard problems.isEmpty else { throw .invalidConfiguration(problems) }
        self.configuration = configuration
        self.logger = logger
        notifier = SystemdNotifier(environment: environment)
        let policy = try Self.signaturePolicy(environment: environment)
        let store: any BundleStore
        do {
            store = try BundleStoreSelection.make(environment: environment)
        } catch {
            throw .bundleStore((error as? any HTTPError)?.message ?? "\(error)")
        }
        do {
            cache = try ContentCache(root: configuration.cacheDirectory)
        } catch {
            throw .cache(error)
        }
        let conninfo = PostgresConnection.environmentConninfo()
        let delivery = BundleDelivery(pool: PostgresPool(.init(conninfo: conninfo, maxConnections: 8)))
        let eviction = Eviction(cache: cache, maxBytes: configuration.maxBytes, status: status, logger: logger)
        filler = BundleFiller(
            cache: cache, delivery: delivery, store: store, policy: policy, retry: .standard, quarantine: Quarantine(),
            status: status, logger: logger)
        reconciler = Reconciler(cache: cache, delivery: delivery, filler: filler, eviction: eviction, stop: stop, logger: logger)
        let listener: UnixSocket
        do {
            SmallFiles.makeParentDirectories(of: configuration.socketPath)
            SmallFiles.makeParentDirectories(of: configuration.statusFile)
            listener = try UnixSocket.listen(path: configuration.socketPath, mode: mode_t(configuration.socketMode), backlog: 128)
        } catch {
            throw .socket(error.description)
        }
        server = FillServer(
            listener: listener, requests: FillRequests(filler: filler, eviction: eviction),
            limits: .init(maxConnections: configuration.maxConnections, fillTimeout: configuration.fillTimeout),
            status: status, stop: stop, logger: logger)
        notifications = NotificationLoop(conninfo: conninfo, queue: queue, status: status, stop: stop, logger: logger)
        statusWriter = StatusWriter(
            path: configuration.statusFile, cache: cache, maxBytes: configuration.maxBytes, status: status, stop: stop, logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then stops: no new connections or fills, running
    /// downloads abandoned (the cache removes their staging at the next open at the latest),
    /// threads given `stopGrace` to end. Returns when the process may exit 0.
    public func run() {
        logger.info("started", metadata: [
            "socket": "\(configuration.socketPath)", "cacheDir": "\(configuration.cacheDirectory)",
            "statusFile": "\(configuration.statusFile)", "reconcileSeconds": "\(configuration.reconcileInterval.components.seconds)",
            "maxBytes": "\(configuration.maxBytes.map(String.init) ?? "unlimited")",
            "hardLimitBytes": "\(configuration.hardLimitBytes.map(String.init) ?? "unlimited")",
            "trees": "\(cache.cachedTrees().count)", "bytes": "\(cache.usage())",
        ])
        let threads = ThreadGroup()
        queue.request(.everything)
        threads.spawn { [server] in server.acceptLoop() }
        threads.spawn { [notifications] in notifications.run() }
        threads.spawn { [statusWriter] in statusWriter.run() }
        threads.spawn { [self] in reconcileLoop() }

        let signal = StopSignals.waitForStop()
        logger.info("stopping", metadata: ["signal": "\(signal)"])
        tellSystemd("STOPPING=1")
        stop.raise()
        queue.close()
        filler.abandonFills()
        let deadline = ContinuousClock.now.advanced(by: configuration.stopGrace)
        let finished = threads.wait(until: deadline) && server.drain(until: deadline)
        unlink(configuration.socketPath)
        // The last line must not claim readiness for a daemon that is gone.
        status.change { $0.ready = false }
        statusWriter.write(status.snapshot)
        if finished {
            logger.info("stopped")
        } else {
            logger.warning("stopped with work left behind after the grace period; tmp/ is cleaned at the next start")
        }
    }

    private func reconcileLoop() {
        var nextPeriodic = ContinuousClock.now.advanced(by: configuration.reconcileInterval)
        while let scope = queue.next(periodicDeadline: nextPeriodic) {
            if scope == .everything { nextPeriodic = .now.advanced(by: configuration.reconcileInterval) }
            let started = ContinuousClock.now
            let outcome = Result { () throws(RegistryError) in try reconciler.reconcile(scope) }
            status.change { counters in
                counters.lastReconcile = Int64(time(nil))
                counters.lastReconcileSucceeded = (try? outcome.get()) != nil
            }
            switch outcome {
            case .success(let report):
                let metadata: Logger.Metadata = [
                    "scope": "\(scope)", "filled": "\(report.filled)", "failed": "\(report.failed)",
                    "linked": "\(report.linked)", "unlinked": "\(report.unlinked)", "ms": "\(started.millisecondsAgo)",
                ]
                if report.changed { logger.info("reconciled", metadata: metadata) } else { logger.debug("reconciled", metadata: metadata) }
            case .failure(let error):
                logger.warning("reconcile failed: the registry is unavailable", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
            }
            if !status.snapshot.ready {
                status.change { $0.ready = true }
                tellSystemd("READY=1")
            }
        }
    }

    private func tellSystemd(_ state: String) {
        if let failure = notifier.notify(state) {
            logger.warning("systemd notification failed", metadata: ["state": "\(state)", "error": "\(failure)"])
        }
    }

    /// Fails closed: with `SIGNING_TRUST_BUNDLE` set, every bundle needs a trusted signature, and
    /// a trust bundle that cannot be read stops the start.
    private static func signaturePolicy(environment: [String: String]) throws(CacheFillStartError) -> SignaturePolicy {
        do {
            return try SignaturePolicy(environment: environment)
        } catch {
            switch error {
            case .unreadable(let path, let reason): throw .trustBundleUnreadable(path: path, reason: reason)
            }
        }
    }
}
