import HTTPClient

/// A host as `http.fetch` compares it: the host curl will resolve, in one canonical form.
///
/// Invariants: a name is lowercase ASCII letters, digits, `-` and `_` in dot-separated labels
/// of 1–63 characters (at most 253 in all), without a trailing dot; anything that reads as an
/// IP literal (dotted-quad IPv4 after curl's rewriting, bracketed IPv6) is an `address`, never a name.
public enum EgressHost: Sendable, Hashable, CustomStringConvertible {
    case name(String)
    case address(IPAddress)

    /// Normalizes a host as `HTTPURL` gives it; nil for text that is neither an IP literal nor
    /// an ASCII DNS name (internationalized names must be given in their `xn--` form).
    public init?(curlHost: String) {
        if curlHost.hasPrefix("[") {
            guard curlHost.hasSuffix("]"), let address = IPAddress(String(curlHost.dropFirst().dropLast())) else { return nil }
            self = .address(address)
            return
        }
        var text = curlHost.lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        if let address = IPAddress(text), address.family == .ipv4 {
            self = .address(address)
            return
        }
        guard Self.isDNSName(text) else { return nil }
        self = .name(text)
    }

    public var description: String {
        switch self {
        case .name(let name): name
        case .address(let address): address.family == .ipv6 ? "[\(address)]" : "\(address)"
        }
    }

    static func isDNSName(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
        }
    }
}

/// Where a fetch URL leads, read by libcurl's own URL parser (so `0x7f000001`, `2130706433`,
/// `0177.0.0.1` and `127.1` are all `127.0.0.1` here, as they are when curl connects).
///
/// Invariants: the scheme is http or https; no user name or password, no IPv6 zone; `url.url`
/// (curl's rendering, without the fragment) is the text that will be requested.
public struct EgressDestination: Sendable, Equatable {
    public let url: HTTPURL
    public let host: EgressHost

    public init(_ text: String) throws(EgressFetchError) {
        let url: HTTPURL
        do {
            url = try HTTPURL(text)
        } catch {
            throw .invalidURL("the url must be an absolute http or https URL")
        }
        guard !url.hasUserInfo else { throw .invalidURL("the url must not carry a user name or password") }
        guard !url.hasZoneID else { throw .invalidURL("the url must not name an IPv6 zone") }
        guard let host = EgressHost(curlHost: url.host) else { throw .invalidURL("the url's host is not a DNS name or IP address") }
        self.url = url
        self.host = host
    }

    public var scheme: String { url.scheme }
    public var port: Int { url.port }
    /// The URL to request: curl's rendering, without the fragment.
    public var requestURL: String { url.url }
}
