/// One outgoing HTTP request: method, absolute `http`/`https` URL, header fields and body.
///
/// Invariants the client checks before sending: the method is an HTTP token, the URL has an
/// `http` or `https` scheme and a host, and no header name or value contains CR, LF or NUL
/// (so a caller's value cannot inject a field). Header fields are sent in order, as given; a
/// field with an empty value is sent empty (not dropped). curl's own `Expect: 100-continue` is
/// suppressed unless the caller adds an `Expect` field, and its default POST `Content-Type` is
/// suppressed unless the caller adds one, so what a signer signs is what goes on the wire.
public struct HTTPRequest {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: HTTPRequestBody
    /// Pins name resolution for this request, as curl's `CURLOPT_RESOLVE` entries
    /// (`"host:port:address"`), e.g. to connect to an address that was already vetted.
    public var resolve: [String]?
    /// Fails the transfer with `responseTooLarge` once the body would exceed this many bytes
    /// (checked against `Content-Length` up front and against the bytes actually received).
    public var maxResponseBytes: Int64?
    /// Asked, on the calling thread, before each connection curl opens for this request, with
    /// the resolved address and port it is about to connect to; `false` refuses that address
    /// before a socket exists (curl tries the next one, if any). When every address is refused
    /// the request fails with `connectFailed` whose reason starts "the connect guard refused". A connection kept alive from an
    /// earlier request to the same scheme, host and port is reused without asking again.
    public var connectGuard: ((IPAddress, Int) -> Bool)?

    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: HTTPRequestBody = .none,
        resolve: [String]? = nil,
        maxResponseBytes: Int64? = nil,
        connectGuard: ((IPAddress, Int) -> Bool)? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.resolve = resolve
        self.maxResponseBytes = maxResponseBytes
        self.connectGuard = connectGuard
    }
}

/// The body of a request, always sent with a `Content-Length` (never chunked).
public enum HTTPRequestBody {
    /// No body. PUT and POST still send `Content-Length: 0`.
    case none
    /// A body held in memory; it can be resent if curl must retry on a fresh connection.
    case bytes([UInt8])
    /// A body pulled from `source` exactly `length` bytes long: `source` fills a prefix of the
    /// buffer and returns how many bytes it wrote (0 means the end). The client never asks for
    /// more than `length` bytes; a source that ends early fails the request with
    /// `bodyEndedEarly`, and an error it throws aborts the transfer and surfaces as
    /// `bodySourceFailed` carrying that error.
    case stream(length: Int64, source: (UnsafeMutableRawBufferPointer) throws -> Int)

    /// The number of bytes the body sends.
    public var length: Int64 {
        switch self {
        case .none: 0
        case .bytes(let bytes): Int64(bytes.count)
        case .stream(let length, _): length
        }
    }
}
