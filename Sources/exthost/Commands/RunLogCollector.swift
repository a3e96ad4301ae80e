import Logging
import Runner
import Synchronization

/// One line the run logged: the guest's own (`exthost.log`, stdout, stderr) or the host's about
/// one of its calls (a refused fetch, a storage failure).
struct RunLogLine: Sendable {
    let level: Logger.Level
    let fromGuest: Bool
    let message: String
}

/// A swift-log handler that keeps what `ExtensionHost` logs during one run, for the report.
///
/// Invariant: lines are kept in the order they were logged; the host's metadata `error` (why a
/// call failed) is appended to its message.
struct RunLogCollector: LogHandler {
    static let guestPrefix = "extension: "

    let lines: RunLogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let text = "\(event.message)"
        if text.hasPrefix(Self.guestPrefix) {
            lines.append(RunLogLine(level: event.level, fromGuest: true, message: String(text.dropFirst(Self.guestPrefix.count))))
        } else {
            var reason = event.metadata?["error"].map { ": \($0)" } ?? ""
            // The runner's wording names its environment variable; here the allowlist is the flags.
            if reason.contains(EgressAllowlist.environmentVariable + " is empty") { reason += " (exthost run: pass --allow-host ENTRY)" }
            lines.append(RunLogLine(level: event.level, fromGuest: false, message: text + reason))
        }
    }
}

/// The lines of one run, shared by the handler copies swift-log makes.
final class RunLogLines: Sendable {
    private let storage = Mutex<[RunLogLine]>([])

    func append(_ line: RunLogLine) { storage.withLock { $0.append(line) } }
    var all: [RunLogLine] { storage.withLock { $0 } }
}
