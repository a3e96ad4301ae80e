import FastCGI

/// Decides which of an extension's response headers may reach the client.
///
/// Invariant: nothing passes that nginx would act on (`Status`, any `X-Accel-*`), that belongs
/// to one hop (RFC 9110 §7.6.1), that the server computes itself (`Content-Length`,
/// `X-Request-Id`), that could plant a cookie on the host's origin (`Set-Cookie`), or whose
/// name is not a token or whose value holds CR, LF or NUL. Dropping, not failing: one bad
/// header must not cost the client the whole answer.
public enum ExtensionResponseHeaders {
    public static let dropped: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "trailers", "transfer-encoding", "upgrade",
        "status", "set-cookie", "set-cookie2", "content-length", "x-request-id",
    ]

    /// Whether `name: value` may be forwarded.
    public static func isAllowed(name: String, value: String) -> Bool {
        let lower = name.lowercased()
        if dropped.contains(lower) || lower.hasPrefix("x-accel-") { return false }
        return (try? HTTPHeaders.validate(name: name, value: value)) != nil
    }

    /// The allowed fields of `pairs`, in order.
    public static func filter(_ pairs: [(name: String, value: String)]) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for pair in pairs where isAllowed(name: pair.name, value: pair.value) {
            try? headers.add(pair.name, pair.value)
        }
        return headers
    }
}
