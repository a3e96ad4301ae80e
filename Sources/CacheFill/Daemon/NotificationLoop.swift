import Logging
import Postgres
import Registry

/// Listens for `exthost_bundles` and `exthost_installs` and turns each notification into a
/// reconcile request for the extension it names.
///
/// Invariants: whenever a session is (re)established, a full reconcile is requested, because
/// notifications sent while nobody listened are lost; while Postgres is unreachable the loop
/// logs, marks the listener disconnected in the status, and tries again with a backoff that
/// doubles from one second to `longestPause`.
final class NotificationLoop: Sendable {
    static let channels = [PublicationStore.channel, InstallNotification.channel]

    let conninfo: String
    let queue: ReconcileQueue
    let status: DaemonStatus
    let stop: StopFlag
    let logger: Logger
    let longestPause: Duration

    init(conninfo: String, queue: ReconcileQueue, status: DaemonStatus, stop: StopFlag, logger: Logger, longestPause: Duration = .seconds(30)) {
        self.conninfo = conninfo
        self.queue = queue
        self.status = status
        self.stop = stop
        self.logger = logger
        self.longestPause = longestPause
    }

    func run() {
        var pause = Duration.seconds(1)
        var listener: PostgresListener?
        while !stop.isRaised {
            do {
                if listener == nil { listener = try connect() }
                let delivery = try listener!.wait(timeout: .milliseconds(500))
                if delivery.reconnected { announce("listener reconnected: reconciling everything") }
                for notification in delivery.notifications {
                    let scope = ReconcileScope(notificationPayload: notification.payload)
                    logger.debug("notification", metadata: ["channel": "\(notification.channel)", "scope": "\(scope)"])
                    queue.request(scope)
                }
                pause = .seconds(1)
            } catch {
                if status.snapshot.listenerConnected {
                    status.change { $0.listenerConnected = false }
                }
                logger.warning("listener unavailable, retrying", metadata: [
                    "code": "\(error.code)", "error": "\(error.message)", "retryInMs": "\(pause.wholeMilliseconds)",
                ])
                if stop.sleep(pause) { break }
                pause = min(pause * 2, longestPause)
            }
        }
    }

    private func connect() throws(PostgresError) -> PostgresListener {
        let listener = try PostgresListener(conninfo: conninfo)
        try listener.listen(Self.channels)
        announce("listening for notifications: reconciling everything")
        return listener
    }

    private func announce(_ message: String) {
        status.change { $0.listenerConnected = true }
        logger.info("\(message)", metadata: ["channels": "\(Self.channels.joined(separator: ","))"])
        queue.request(.everything)
    }
}
