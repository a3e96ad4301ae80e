import HTTPClient
import Synchronization

/// Shows the person running a command the `Warning` headers the API sends (e.g. "API key …
/// expires at …"), each distinct text once per command however many requests carry it.
///
/// Invariant: only the quoted warn-text of a warn-code 299 value is printed, on stderr, so
/// stdout (which may be captured JSON) is never touched.
final class ServerWarnings: Sendable {
    private let shown = Mutex<Set<String>>([])

    func report(_ head: HTTPResponseHead) {
        for value in head.values(for: "Warning") {
            guard let text = Self.warnText(value), shown.withLock({ $0.insert(text).inserted }) else { continue }
            StandardError.write("warning: \(text)\n")
        }
    }

    /// The warn-text of `299 - "text"`; nil for other warn-codes or a value of another shape.
    static func warnText(_ value: String) -> String? {
        let prefix = "299 - \""
        guard value.hasPrefix(prefix), value.hasSuffix("\""), value.count > prefix.count else { return nil }
        let text = value.dropFirst(prefix.count).dropLast()
        // A server's text goes to a terminal: no control characters.
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        return String(text)
    }
}
