/// Tells systemd about the daemon's state (sd_notify(3) protocol) when it runs as a
/// `Type=notify` service; does nothing when `NOTIFY_SOCKET` is not set.
struct SystemdNotifier: Sendable {
    let socketPath: String?

    init(environment: [String: String]) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Sends e.g. `READY=1`; returns the failure text when the datagram could not be sent.
    func notify(_ state: String) -> String? {
        guard let socketPath else { return nil }
        do {
            try UnixSocket.sendDatagram(state, to: socketPath)
            return nil
        } catch {
            return error.description
        }
    }
}
