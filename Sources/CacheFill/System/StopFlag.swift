/// Raised once when the daemon stops; loops sleep on it so they wake at once instead of
/// finishing a long pause.
final class StopFlag: Sendable {
    private let monitor = Monitor(false)

    func raise() { monitor.update { $0 = true } }

    var isRaised: Bool { monitor.update { $0 } }

    /// Sleeps up to `duration`; true when the flag was raised (time to stop).
    func sleep(_ duration: Duration) -> Bool {
        monitor.wait(until: .now.advanced(by: duration)) { $0 ? true : nil } ?? false
    }
}
