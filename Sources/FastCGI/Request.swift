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
        let queryStart = uri.firstIndex(of: "?")
        path = queryStart.map { String(uri[..<$0]) } ?? uri
        let queryText = params["QUERY_STRING"] ?? queryStart.map { String(uri[uri.index(after: $0)...]) } ?? ""
        guard let query = QueryParameters(parsing: queryText) else { throw .invalidQuery }
        self.query = query
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let segment = PercentDecoding.decode(raw, plusIsSpace: false) else { throw .invalidPath }
            segments.append(segment)
        }
        pathSegments = segments

        var headers = HTTPHeaders()
        for (name, value) in params.sorted(by: { $0.key < $1.key }) {
            let headerName: String
            if name.hasPrefix("HTTP_") {
                headerName = name.dropFirst(5).lowercased().replacingOccurrences(of: "_", with: "-")
            } else if name == "CONTENT_TYPE" || name == "CONTENT_LENGTH" {
                headerName = name.lowercased().replacingOccurrences(of: "_", with: "-")
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

extension String {
    func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
