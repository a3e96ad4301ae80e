import ExthostCore

/// Why a fill asked of the cache-fill daemon did not produce a tree, as the runner reports it.
public enum CacheFillError: HTTPError, Equatable, CustomStringConvertible {
    /// Nobody answers on the socket, or the connection broke (the daemon is down or restarting).
    case unavailable(reason: String)
    /// The daemon did not answer before the caller's deadline.
    case timeout
    /// The daemon answered `ERR <code> <message>`.
    case refused(code: String, message: String)
    /// The daemon's answer is not a line of the protocol.
    case protocolError(String)

    public var status: HTTPStatus {
        switch self {
        case .unavailable: .serviceUnavailable
        case .timeout: .gatewayTimeout
        case .refused(let code, _): Self.notFoundCodes.contains(code) ? .notFound : .badGateway
        case .protocolError: .badGateway
        }
    }

    public var code: String {
        switch self {
        case .unavailable: "CACHEFILL_UNAVAILABLE"
        case .timeout: "CACHEFILL_TIMEOUT"
        case .refused(let code, _): code
        case .protocolError: "CACHEFILL_PROTOCOL_ERROR"
        }
    }

    /// The daemon's own messages are written to be shown; socket details stay in `description`.
    public var message: String {
        switch self {
        case .unavailable: "The content cache is unavailable; try again shortly."
        case .timeout: "The content cache did not finish in time; try again shortly."
        case .refused(_, let message): message
        case .protocolError: "The content cache answered something unexpected."
        }
    }

    public var extraHeaders: [(name: String, value: String)] {
        switch self {
        case .unavailable, .timeout: [(name: "Retry-After", value: "1")]
        case .refused, .protocolError: []
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let reason): "cachefill unavailable: \(reason)"
        case .timeout: "cachefill timed out"
        case .refused(let code, let message): "cachefill refused: \(code) \(message)"
        case .protocolError(let detail): "cachefill protocol error: \(detail)"
        }
    }

    /// Refusals that mean "no such content for you" rather than a failure of the daemon.
    static let notFoundCodes: Set<String> = ["NOT_REGISTERED", "NOT_ENABLED"]
}
