import ExthostCore
/// One HTTP request as nginx passed it over FastCGI.
///
/// Built from the FastCGI parameters: the method, the raw path and its percent-decoded
/// segments, the decoded query, the headers (`HTTP_*` params plus `CONTENT_TYPE` and
/// `CONTENT_LENGTH`, with lowercase dash-separated names), the client address and a request id.
/// The body is a stream valid only while the handler runs.
public final class Request {
    public let method: String
    /// The path as sent, without the query string (still percent-encoded).
    public let path: String
    /// `path` split on `/` with each segment percent-decoded, so an encoded `/` stays inside
    /// its segment.
    public let pathSegments: [String]
    public let query: QueryParameters
    public let headers: HTTPHeaders
    public let contentLength: Int?
    public let remoteAddress: String
    public let requestID: String
    public let body: RequestBody
    /// Captures of the matched route's `:name` and `*name` segments.
    public internal(set) var parameters: [String: String] = [:]
    /// The pattern of the route that served the request (`/api/installs/:id`), for metrics that
    /// must not grow a series per id; nil when no route matched.
    public internal(set) var route: String?

    /// Builds a request from FastCGI parameters; throws 400 errors for a malformed path or query.
    public init(
        fastCGIParameters params: [String: String], requestID: String? = nil, body source: any ByteSource
    ) throws(RequestError) {
        method = params["REQUEST_METHOD"].map { $0.uppercased() } ?? "GET"
        let uri = params["REQUEST_URI"] ?? params["DOCUMENT_URI"] ?? "/"
        // Bytes, not Characters, here and below: a `?`, `/` or `_` followed by a combining mark
        // is one Character that compares unequal to the ASCII one.
        let queryStart = uri.utf8.firstIndex(of: UInt8(ascii: "?"))
        path = queryStart.map { String(decoding: uri.utf8[..<$0], as: UTF8.self) } ?? uri
        let queryText = params["QUERY_STRING"] ?? queryStart.map { String(decoding: uri.utf8[uri.utf8.index(after: $0)...], as: UTF8.self) } ?? ""
        guard let query = QueryParameters(parsing: queryText) else { throw .invalidQuery }
        self.query = query
        var segments: [String] = []
        for raw in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            guard let segment = PercentDecoding.decode(Substring(raw), plusIsSpace: false) else { throw .invalidPath }
            segments.append(segment)
        }
        pathSegments = segments

        var headers = HTTPHeaders()
        for (name, value) in params.sorted(by: { $0.key < $1.key }) {
            let headerName: String
            if name.utf8.starts(with: "HTTP_".utf8) {
                headerName = Self.headerName(name.utf8.dropFirst(5))
            } else if name == "CONTENT_TYPE" || name == "CONTENT_LENGTH" {
                headerName = Self.headerName(name.utf8[...])
            } else {
                continue
            }
            if value.isEmpty && !name.hasPrefix("HTTP_") { continue }
            // nginx never forwards CR/LF; a field that still fails the checks is dropped, not trusted.
            try? headers.appendTrusted(headerName, value)
        }
        self.headers = headers
        contentLength = params["CONTENT_LENGTH"].flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil }
        remoteAddress = params["REMOTE_ADDR"] ?? ""
        self.requestID = requestID ?? RequestID.accepting(params["HTTP_X_REQUEST_ID"])
        body = RequestBody(source: source, expectedLength: contentLength)
    }
}

extension Request {
    /// `X_FOO` as `x-foo`, in ASCII only: `lowercased()` maps some non-ASCII letters to ASCII
    /// ones (the Kelvin sign to `k`), which would turn an invalid field name into a valid one.
    static func headerName(_ parameter: Substring.UTF8View) -> String {
        String(decoding: parameter.map { byte in
            byte == UInt8(ascii: "_") ? UInt8(ascii: "-") : (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 0x20 : byte
        }, as: UTF8.self)
    }
}
