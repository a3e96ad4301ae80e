import ExthostCore
/// What a handler answers: a status, safe headers and a body that is either in memory or
/// produced by a closure writing chunks.
///
/// Invariant: nginx-facing control headers (`X-Accel-*`) appear only when the code asked for
/// them with `setAccel(_:_:)`; everything in `headers` already passed `HTTPHeaders` validation.
public struct Response: Sendable {
    public enum Body: Sendable {
        case empty
        case bytes([UInt8])
        /// Written in chunks while the response goes out; the length is not known up front.
        case stream(@Sendable (inout any BodyWriter) throws -> Void)
    }

    /// The nginx control headers a handler may ask for explicitly.
    public enum AccelHeader: String, Sendable, CaseIterable {
        case redirect = "X-Accel-Redirect"
        case buffering = "X-Accel-Buffering"
        case expires = "X-Accel-Expires"
    }

    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: Body
    public private(set) var accelHeaders: [(AccelHeader, String)] = []
    /// The error code when this is an error answer (`Response.error`), for metrics; never sent.
    public internal(set) var errorCode: String?

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON document already serialised by the caller.
    public static func json(_ text: String, status: HTTPStatus = .ok) -> Response {
        var headers = HTTPHeaders()
        try! headers.add("Content-Type", "application/json")
        return Response(status: status, headers: headers, body: .bytes(Array(text.utf8)))
    }

    /// Asks nginx to act on this response (for example an internal redirect to a static file).
    public mutating func setAccel(_ header: AccelHeader, _ value: String) throws(HeaderError) {
        try HTTPHeaders.validateSyntax(name: header.rawValue, value: value)
        accelHeaders.removeAll { $0.0 == header }
        accelHeaders.append((header, value))
    }
}

/// Receives the chunks of a streamed response body.
public protocol BodyWriter {
    mutating func write(_ bytes: ArraySlice<UInt8>) throws
}

extension BodyWriter {
    public mutating func write(_ bytes: [UInt8]) throws { try write(bytes[...]) }
    public mutating func write(_ text: String) throws { try write(Array(text.utf8)[...]) }
}
