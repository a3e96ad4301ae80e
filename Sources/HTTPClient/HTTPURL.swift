import CCurl

/// An absolute `http`/`https` URL exactly as libcurl reads it, so that a policy about where a
/// request may go judges the host curl will really resolve and connect to: curl rewrites
/// `0x7f000001`, `2130706433`, `0177.0.0.1` and `127.1` to `127.0.0.1`, decodes
/// percent-escapes in the host and canonicalizes IPv6 text, and a hand-written parser would
/// disagree with it somewhere.
///
/// Invariants: `scheme` is `http` or `https` (lowercase); `host` is non-empty, as curl resolves
/// it (IPv6 in brackets, case and any trailing dot kept); `port` is the explicit port or the
/// scheme's default, 1...65535; `url` is curl's own rendering without the fragment (never sent),
/// which is the text to request so that the URL checked and the URL fetched cannot differ.
public struct HTTPURL: Sendable, Equatable {
    public static let maxLength = 8192

    public let scheme: String
    public let host: String
    public let port: Int
    /// A user name or password is present (`http://user@host/`, even empty: `http://@host/`).
    public let hasUserInfo: Bool
    /// An IPv6 zone (`[fe80::1%25eth0]`) is present.
    public let hasZoneID: Bool
    public let url: String

    /// Throws `invalidURL` (redacted) for text curl does not accept as an absolute URL, for a
    /// scheme other than http and https, for port 0, or for control characters and spaces.
    public init(_ text: String) throws(HTTPClientError) {
        let invalid = HTTPClientError.invalidURL(url: URLRedaction.redactToken(String(text.prefix(256))))
        guard text.utf8.count <= Self.maxLength, !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { throw invalid }
        let parsed = CurlURLHandle()
        guard parsed.set(text), parsed.clearFragment(),
            let scheme = parsed.part(CURLUPART_SCHEME)?.lowercased(), scheme == "http" || scheme == "https",
            let host = parsed.part(CURLUPART_HOST), !host.isEmpty,
            let portText = parsed.part(CURLUPART_PORT, flags: UInt32(CURLU_DEFAULT_PORT)), let port = Int(portText), (1...65535).contains(port),
            let url = parsed.part(CURLUPART_URL)
        else { throw invalid }
        self.scheme = scheme
        self.host = host
        self.port = port
        hasUserInfo = parsed.part(CURLUPART_USER) != nil || parsed.part(CURLUPART_PASSWORD) != nil
        hasZoneID = parsed.part(CURLUPART_ZONEID) != nil
        self.url = url
    }
}

/// One `CURLU` handle of libcurl's URL API.
///
/// Invariants: owns the handle, freed in deinit; every string curl returns is copied and freed
/// with `curl_free` before `part` returns.
private final class CurlURLHandle {
    private let handle: OpaquePointer

    init() {
        LibCurl.initialized
        guard let handle = curl_url() else { fatalError("curl_url: out of memory") }
        self.handle = handle
    }

    deinit {
        curl_url_cleanup(handle)
    }

    /// Parses `text` as an absolute URL (no scheme guessing, no default scheme).
    func set(_ text: String) -> Bool {
        curl_url_set(handle, CURLUPART_URL, text, 0) == CURLUE_OK
    }

    func clearFragment() -> Bool {
        curl_url_set(handle, CURLUPART_FRAGMENT, nil, 0) == CURLUE_OK
    }

    /// The part's text, or nil when the URL has no such part.
    func part(_ part: CURLUPart, flags: UInt32 = 0) -> String? {
        var text: UnsafeMutablePointer<CChar>?
        guard curl_url_get(handle, part, &text, flags) == CURLUE_OK, let text else { return nil }
        defer { curl_free(text) }
        return String(cString: text)
    }
}
