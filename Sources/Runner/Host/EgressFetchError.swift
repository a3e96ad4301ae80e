import ExthostCore

/// Why `http.fetch` gave no response: each case is one of the op's documented error codes
/// (`hostCallCode`), answered to the guest as `{"error":{"code","message"}}`.
///
/// Invariant: messages say only what the guest already knows (its own URL and headers) or what
/// the allowlist decided; never a header value, an address the host resolved, or a secret.
public enum EgressFetchError: HTTPError, Equatable {
    /// The URL, its scheme, host or port is not on `EXT_EGRESS_ALLOWLIST`, or it resolved only
    /// to addresses that are refused (loopback, private, link-local...).
    case notAllowed(String)
    case invalidURL(String)
    /// The method, a header or the body of the host call is malformed.
    case invalidRequest(String)
    /// Resolving, connecting, TLS, sending or receiving failed.
    case transport(String)
    case tooLarge(limit: Int)
    case timeout(String)

    /// The ABI's lowercase code (DESIGN §7).
    public var hostCallCode: String {
        switch self {
        case .notAllowed: "not_allowed"
        case .invalidURL: "invalid_url"
        case .invalidRequest: "invalid_request"
        case .transport: "transport"
        case .tooLarge: "too_large"
        case .timeout: "timeout"
        }
    }

    public var status: HTTPStatus {
        switch self {
        case .notAllowed: .forbidden
        case .invalidURL, .invalidRequest: .badRequest
        case .transport, .tooLarge: .badGateway
        case .timeout: .gatewayTimeout
        }
    }

    public var code: String { "FETCH_" + hostCallCode.uppercased() }

    public var message: String {
        switch self {
        case .notAllowed(let reason), .invalidURL(let reason), .invalidRequest(let reason), .transport(let reason), .timeout(let reason):
            reason
        case .tooLarge(let limit): "the response body exceeds \(limit) bytes"
        }
    }
}
