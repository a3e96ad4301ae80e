import Cryptography
import HTTPClient
import JSON

/// `http.fetch` over libcurl (DESIGN §7): checks the call against `EXT_EGRESS_ALLOWLIST`,
/// refuses non-public addresses at the moment curl connects, and shapes the response.
///
/// Invariants: deny by default (an empty allowlist refuses every URL); the address check runs
/// in curl's open-socket callback, on the address actually connected to, for every attempt, so
/// a name that resolves (or rebinds) to loopback, a private network or the metadata service is
/// refused before a socket exists, unless the admitting entry names that very IP literal; no
/// proxy, no redirect (a 3xx is the answer), http and https only; the request never outlives
/// the host call's deadline and the response body never exceeds `maxResponseBytes`.
public struct EgressFetcher: Sendable {
    /// `EXT_FETCH_MAX_BYTES` default; the ceiling keeps the base64 answer under the 10 MiB a
    /// host call may answer.
    public static let defaultMaxResponseBytes = 5 << 20
    public static let maxResponseBytesCeiling = 7 << 20
    /// Hop-by-hop fields describe the connection to the host, not the resource.
    static let droppedResponseHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade",
    ]

    public let allowlist: EgressAllowlist
    public let maxResponseBytes: Int
    private let client: HTTPClient

    /// `caFile` adds trusted CAs (tests, private PKI); the system bundle is always trusted.
    public init(allowlist: EgressAllowlist = EgressAllowlist(), maxResponseBytes: Int = defaultMaxResponseBytes, caFile: String? = nil) {
        self.allowlist = allowlist
        self.maxResponseBytes = min(max(0, maxResponseBytes), Self.maxResponseBytesCeiling)
        client = HTTPClient(configuration: .init(caFile: caFile, maxPooledHandles: 8, userAgent: "exthost-fetch", receiveBufferSize: 64 << 10))
    }

    /// The `ok` member of the answer: `{"status","headers","body"}` with lowercase header names,
    /// repeated fields joined with ", " and the body in base64.
    public func fetch(_ request: JSONValue, deadline: ContinuousClock.Instant) throws(EgressFetchError) -> JSONValue {
        let call = try FetchRequest(request)
        let destination = call.destination
        guard let entry = allowlist.entry(admitting: destination) else {
            throw .notAllowed(allowlist.isEmpty
                ? "http.fetch is not enabled on this host (EXT_EGRESS_ALLOWLIST is empty)"
                : "\(destination.scheme)://\(destination.host):\(destination.port) is not on the egress allowlist")
        }
        let refusals = ConnectRefusals(exception: entry.literalAddress)
        var outgoing = HTTPRequest(method: call.method, url: destination.requestURL, headers: call.headers, body: call.body.isEmpty ? .none : .bytes(call.body))
        outgoing.connectGuard = { address, _ in refusals.admit(address) }
        let response: HTTPResponse
        do {
            response = try client.send(outgoing, maxResponseBytes: maxResponseBytes, timeout: ContinuousClock.now.duration(to: deadline))
        } catch {
            throw Self.failure(error, refused: refusals.refusedEvery, host: destination.host, deadline: deadline)
        }
        return Self.answer(response)
    }

    private static func failure(_ error: HTTPClientError, refused: Bool, host: EgressHost, deadline: ContinuousClock.Instant) -> EgressFetchError {
        switch error {
        case .connectFailed where refused:
            return .notAllowed("\(host) resolves only to addresses http.fetch may not reach (loopback, private, link-local or reserved)")
        case .invalidURL:
            return .invalidURL("the url must be an absolute http or https URL")
        case .invalidRequest(let reason):
            return .invalidRequest(reason)
        case .responseTooLarge(let limit):
            return .tooLarge(limit: Int(limit))
        case .timeout:
            return .timeout("the fetch timed out (the request's deadline, or the server stalled)")
        default:
            if ContinuousClock.now >= deadline { return .timeout("the request deadline passed before the response arrived") }
            return .transport(error.message)
        }
    }

    private static func answer(_ response: HTTPResponse) -> JSONValue {
        var names: [String] = []
        var values: [String: [String]] = [:]
        for field in response.head.headers {
            let name = field.name.lowercased()
            guard !droppedResponseHeaders.contains(name) else { continue }
            if values[name] == nil { names.append(name) }
            values[name, default: []].append(field.value)
        }
        let headers = names.map { name in (name, JSONValue.string(values[name, default: []].joined(separator: ", "))) }
        return .object([
            ("status", .number(response.status)),
            ("headers", .object(headers)),
            ("body", .string(Base64.encode(response.body))),
        ])
    }
}

/// What the connect guard of one fetch decided: lives for one request on its thread.
///
/// Invariant: `refusedEvery` holds when at least one address was asked about and none admitted.
private final class ConnectRefusals {
    private let exception: IPAddress?
    private var refused = 0
    private var admitted = 0

    init(exception: IPAddress?) {
        self.exception = exception
    }

    var refusedEvery: Bool { refused > 0 && admitted == 0 }

    func admit(_ address: IPAddress) -> Bool {
        if address == exception || EgressAddressPolicy.range(of: address) == nil {
            admitted += 1
            return true
        }
        refused += 1
        return false
    }
}
