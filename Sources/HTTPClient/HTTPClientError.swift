import ExthostCore

/// Why a request through `HTTPClient` failed before a response could be handed over in full.
///
/// Invariants: no message contains a header value, a URL's query string or its userinfo (they
/// may carry credentials or presigned signatures); curl's own error text is redacted the same
/// way before it is kept. An HTTP error status from the server is not an error here: it comes
/// back as the response. A failure of the caller's own source or sink keeps the caller's error,
/// and takes its status, code and message when that error is an `HTTPError`.
public enum HTTPClientError: HTTPError {
    /// The URL is not an absolute `http`/`https` URL curl accepts; `url` is redacted.
    case invalidURL(url: String)
    /// The method or a header field is malformed (a token with spaces, CR or LF in a value...).
    case invalidRequest(reason: String)
    case resolveFailed(host: String)
    case connectFailed(host: String, reason: String)
    /// The connect timeout, the low-speed limit or the total/per-call timeout fired.
    case timeout(reason: String)
    /// The TLS handshake failed or the peer's certificate did not verify.
    case tlsFailed(reason: String)
    case sendFailed(reason: String)
    case receiveFailed(reason: String)
    /// The server closed the connection without sending any response.
    case emptyResponse
    /// The server's response is not valid HTTP (bad status line, bad framing...).
    case protocolError(reason: String)
    /// The response body exceeds `limit` bytes.
    case responseTooLarge(limit: Int64)
    /// A `.stream` body source returned 0 after `sent` of its declared `expected` bytes.
    case bodyEndedEarly(expected: Int64, sent: Int64)
    /// The body source threw; the transfer was aborted.
    case bodySourceFailed(any Error)
    /// The response head handler or the body sink threw; the transfer was aborted.
    case sinkFailed(any Error)
    /// The transfer was aborted without a recorded cause.
    case aborted
    /// Any other libcurl failure; `curlCode` is its `CURLcode`.
    case transferFailed(curlCode: Int, reason: String)

    public var status: HTTPStatus {
        switch self {
        case .invalidURL, .invalidRequest, .bodyEndedEarly, .aborted: .internalServerError
        case .resolveFailed, .connectFailed: .serviceUnavailable
        case .timeout: .gatewayTimeout
        case .tlsFailed, .sendFailed, .receiveFailed, .emptyResponse, .protocolError, .responseTooLarge,
            .transferFailed:
            .badGateway
        case .bodySourceFailed(let underlying), .sinkFailed(let underlying):
            (underlying as? any HTTPError)?.status ?? .internalServerError
        }
    }

    public var code: String {
        switch self {
        case .invalidURL: "HTTP_CLIENT_INVALID_URL"
        case .invalidRequest: "HTTP_CLIENT_INVALID_REQUEST"
        case .resolveFailed: "UPSTREAM_RESOLVE_FAILED"
        case .connectFailed: "UPSTREAM_CONNECT_FAILED"
        case .timeout: "UPSTREAM_TIMEOUT"
        case .tlsFailed: "UPSTREAM_TLS_FAILED"
        case .sendFailed: "UPSTREAM_SEND_FAILED"
        case .receiveFailed: "UPSTREAM_RECEIVE_FAILED"
        case .emptyResponse: "UPSTREAM_EMPTY_RESPONSE"
        case .protocolError: "UPSTREAM_PROTOCOL_ERROR"
        case .responseTooLarge: "UPSTREAM_RESPONSE_TOO_LARGE"
        case .bodyEndedEarly: "HTTP_CLIENT_BODY_ENDED_EARLY"
        case .bodySourceFailed(let underlying):
            (underlying as? any HTTPError)?.code ?? "HTTP_CLIENT_BODY_SOURCE_FAILED"
        case .sinkFailed(let underlying):
            (underlying as? any HTTPError)?.code ?? "HTTP_CLIENT_SINK_FAILED"
        case .aborted: "HTTP_CLIENT_ABORTED"
        case .transferFailed: "UPSTREAM_TRANSFER_FAILED"
        }
    }

    public var message: String {
        switch self {
        case .invalidURL(let url): "invalid URL \(url) (only absolute http and https URLs are accepted)"
        case .invalidRequest(let reason): "invalid HTTP request: \(reason)"
        case .resolveFailed(let host): "could not resolve host \(host)"
        case .connectFailed(let host, let reason): "could not connect to \(host): \(reason)"
        case .timeout(let reason): "the upstream request timed out: \(reason)"
        case .tlsFailed(let reason): "TLS failed: \(reason)"
        case .sendFailed(let reason): "sending the request failed: \(reason)"
        case .receiveFailed(let reason): "receiving the response failed: \(reason)"
        case .emptyResponse: "the server closed the connection without a response"
        case .protocolError(let reason): "invalid HTTP response: \(reason)"
        case .responseTooLarge(let limit): "the response body exceeds \(limit) bytes"
        case .bodyEndedEarly(let expected, let sent):
            "the request body ended after \(sent) of its declared \(expected) bytes"
        case .bodySourceFailed(let underlying):
            (underlying as? any HTTPError)?.message ?? "reading the request body failed"
        case .sinkFailed(let underlying):
            (underlying as? any HTTPError)?.message ?? "consuming the response failed"
        case .aborted: "the transfer was aborted"
        case .transferFailed(let curlCode, let reason): "the transfer failed (curl \(curlCode)): \(reason)"
        }
    }
}

extension HTTPClientError: CustomStringConvertible {
    /// The code and message; a wrapped caller error is described too, as it is the caller's own.
    public var description: String {
        switch self {
        case .bodySourceFailed(let underlying) where !(underlying is any HTTPError),
            .sinkFailed(let underlying) where !(underlying is any HTTPError):
            "\(code): \(message): \(underlying)"
        default:
            "\(code): \(message)"
        }
    }
}
