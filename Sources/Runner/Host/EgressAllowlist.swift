import ExthostCore
import HTTPClient

/// The destinations `http.fetch` may reach (`EXT_EGRESS_ALLOWLIST`), parsed once when the
/// runner starts: deny by default.
///
/// Invariants: no entries means every URL is refused; entries are normalized (hosts read by
/// curl's URL parser, lowercase, no trailing dot), so matching is plain comparison; an entry
/// without `http://` admits https only; an entry without a port admits only the default port
/// of the URL's scheme; a `*.domain` entry admits names strictly below the domain and never an
/// IP address; only an entry that is an IP literal admits that address.
public struct EgressAllowlist: Sendable, Equatable {
    public static let environmentVariable = "EXT_EGRESS_ALLOWLIST"

    /// One `host`, `*.domain` or `host:port` entry, optionally prefixed `http://`.
    public struct Entry: Sendable, Equatable, CustomStringConvertible {
        public enum Pattern: Sendable, Equatable {
            case host(EgressHost)
            /// A DNS name of at least two labels; admits `x.<domain>`, `y.x.<domain>`...
            case subdomains(of: String)
        }

        public let pattern: Pattern
        public let port: Int?
        public let allowsPlainHTTP: Bool

        public init(pattern: Pattern, port: Int? = nil, allowsPlainHTTP: Bool = false) {
            self.pattern = pattern
            self.port = port
            self.allowsPlainHTTP = allowsPlainHTTP
        }

        /// The address this entry names literally, which it may reach even when it is not
        /// public (a sidecar or a test server on `http://127.0.0.1:8081`).
        public var literalAddress: IPAddress? {
            if case .host(.address(let address)) = pattern { return address }
            return nil
        }

        public func admits(_ destination: EgressDestination) -> Bool {
            guard destination.scheme == "https" || allowsPlainHTTP else { return false }
            guard destination.port == port ?? (destination.scheme == "https" ? 443 : 80) else { return false }
            switch (pattern, destination.host) {
            case (.host(let host), let candidate): return host == candidate
            case (.subdomains(let domain), .name(let name)): return name.hasSuffix("." + domain)
            case (.subdomains, .address): return false
            }
        }

        public var description: String {
            let host = switch pattern {
            case .host(let host): host.description
            case .subdomains(let domain): "*." + domain
            }
            return (allowsPlainHTTP ? "http://" : "") + host + (port.map { ":\($0)" } ?? "")
        }
    }

    public let entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// Parses the comma-separated list; whitespace around entries and empty entries are
    /// ignored, so an empty or blank text denies everything.
    public init(parsing text: String) throws(EgressAllowlistError) {
        var entries: [Entry] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let entry = item.trimmingASCIIWhitespace()
            guard !entry.isEmpty else { continue }
            entries.append(try Self.parseEntry(entry))
        }
        self.entries = entries
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The first entry admitting `destination`; nil when none does (the fetch is not allowed).
    public func entry(admitting destination: EgressDestination) -> Entry? {
        entries.first { $0.admits(destination) }
    }

    private static let expected = "host, *.domain or host:port, optionally prefixed http://"

    private static func parseEntry(_ entry: String) throws(EgressAllowlistError) -> Entry {
        var rest = entry.lowercased()
        var allowsPlainHTTP = false
        if rest.hasPrefix("http://") {
            allowsPlainHTTP = true
            rest.removeFirst("http://".count)
        } else if rest.hasPrefix("https://") {
            rest.removeFirst("https://".count)
        }
        // Only what a host and port can hold: no path, userinfo, query, escapes or a second scheme.
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-_:[]*".utf8)
        guard !rest.isEmpty, !rest.hasSuffix(":"), rest.utf8.allSatisfy(allowed.contains) else {
            throw .malformedEntry(entry: entry, expected: expected)
        }
        let isWildcard = rest.hasPrefix("*.")
        if isWildcard { rest.removeFirst(2) }
        guard !rest.contains("*") else { throw .malformedEntry(entry: entry, expected: "a * only as the first label (*.domain)") }
        // curl reads the host and port, so an entry means what the same text in a URL means.
        guard let url = try? HTTPURL("http://\(rest)/"), let host = EgressHost(curlHost: url.host) else {
            throw .malformedEntry(entry: entry, expected: expected)
        }
        let port = Self.hasExplicitPort(rest) ? url.port : nil
        guard isWildcard else { return Entry(pattern: .host(host), port: port, allowsPlainHTTP: allowsPlainHTTP) }
        guard case .name(let domain) = host, domain.contains("."), !domain.split(separator: ".").allSatisfy({ $0.allSatisfy(\.isNumber) }) else {
            throw .malformedEntry(entry: entry, expected: "a wildcard over a DNS name of two or more labels (*.example.com)")
        }
        return Entry(pattern: .subdomains(of: domain), port: port, allowsPlainHTTP: allowsPlainHTTP)
    }

    /// `host:port` or `[v6]:port`, as opposed to a bare host or `[v6]`.
    private static func hasExplicitPort(_ hostAndPort: String) -> Bool {
        if hostAndPort.hasPrefix("[") { return hostAndPort.contains("]:") }
        return hostAndPort.contains(":")
    }
}

/// An `EXT_EGRESS_ALLOWLIST` entry that cannot be used: the runner refuses to start.
public enum EgressAllowlistError: HTTPError, Equatable {
    case malformedEntry(entry: String, expected: String)

    public var status: HTTPStatus { .internalServerError }
    public var code: String { "CONFIGURATION_INVALID" }

    public var message: String {
        switch self {
        case .malformedEntry(let entry, let expected):
            "\(EgressAllowlist.environmentVariable) entry \(String(entry.prefix(120)).debugDescription) is malformed: expected \(expected)"
        }
    }
}

extension Substring {
    fileprivate func trimmingASCIIWhitespace() -> String {
        let isSpace = { (character: Character) in character == " " || character == "\t" || character == "\n" || character == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
