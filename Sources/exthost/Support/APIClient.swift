import HTTPClient
import JSON

/// The CLI's client for the exthost management API over `HTTPClient`: bearer key, JSON bodies
/// in and out, streamed uploads, and error documents turned into `APIClientError`.
///
/// Invariants: the key travels only in the `Authorization` header of requests to `baseURL`
/// (never to a presigned URL, never into a message); `baseURL` has no trailing slash; every
/// failure is an `APIClientError` that names the URL without its query.
struct APIClient {
    /// A 2xx answer of the API and its JSON document (`null` for an empty body).
    struct Answer {
        let operation: String
        let status: Int
        let document: JSONValue

        /// The member at `key`, or `unexpectedResponse` naming what the contract promised.
        func member(_ key: String, in value: JSONValue? = nil) throws(APIClientError) -> JSONValue {
            guard let member = (value ?? document)[key], !member.isNull else { throw missing(key) }
            return member
        }

        func string(_ key: String, in value: JSONValue? = nil) throws(APIClientError) -> String {
            guard let text = try member(key, in: value).stringValue else { throw missing(key) }
            return text
        }

        func integer(_ key: String, in value: JSONValue? = nil) throws(APIClientError) -> Int {
            guard let number = try member(key, in: value).intValue else { throw missing(key) }
            return number
        }

        private func missing(_ key: String) -> APIClientError {
            .unexpectedResponse(operation: operation, status: status, detail: "no valid \"\(key)\" in \(APIClient.excerpt(document.serializedBytes()))")
        }
    }

    /// JSON answers are small; a larger one is not an exthost answer.
    static let maxAnswerBytes = 4 << 20

    let baseURL: String
    let http: HTTPClient
    private let key: String
    private let warnings = ServerWarnings()

    init(baseURL: String, key: String, caFile: String?, userAgent: String) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.key = key
        // Finalize hashes and copies the whole bundle before it answers: allow long silences.
        http = HTTPClient(configuration: .init(lowSpeedTime: .seconds(120), caFile: caFile, userAgent: userAgent))
    }

    /// `METHOD path` with an optional JSON body; a non-2xx answer throws `rejected`.
    func json(_ method: String, _ path: String, body: JSONValue? = nil) throws(APIClientError) -> Answer {
        var headers = authorization
        headers.append(("Accept", "application/json"))
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let request = HTTPRequest(method: method, url: baseURL + path, headers: headers, body: body.map { .bytes($0.serializedBytes()) } ?? .none)
        return try answer(to: request, operation: "\(method) \(path)")
    }

    /// POSTs a streamed `body` to `path?query` as `contentType`.
    func upload(_ path: String, query: [(String, String)], contentType: String, body: HTTPRequestBody) throws(APIClientError) -> Answer {
        let queryText = query.map { "\(Self.queryEncoded($0.0))=\(Self.queryEncoded($0.1))" }.joined(separator: "&")
        let request = HTTPRequest(
            method: "POST", url: baseURL + path + (queryText.isEmpty ? "" : "?" + queryText),
            headers: authorization + [("Accept", "application/json"), ("Content-Type", contentType)],
            body: body)
        return try answer(to: request, operation: "POST \(path)")
    }

    /// Sends a request to a URL the API handed out (presigned storage URLs): no key is added,
    /// and any status comes back as the response.
    func sendUnauthenticated(_ request: HTTPRequest) throws(APIClientError) -> HTTPResponse {
        try transport(request)
    }

    private var authorization: [(name: String, value: String)] { [("Authorization", "Bearer " + key)] }

    private func answer(to request: HTTPRequest, operation: String) throws(APIClientError) -> Answer {
        let response = try transport(request)
        warnings.report(response.head)
        let document: JSONValue
        if response.body.isEmpty {
            document = .null
        } else {
            do {
                document = try JSONValue.parse(response.body)
            } catch {
                throw .unexpectedResponse(operation: operation, status: response.status, detail: "a body that is not JSON (\(Self.excerpt(response.body)))")
            }
        }
        guard (200..<300).contains(response.status) else {
            guard let rejection = Self.errorDocument(document, head: response.head) else {
                throw .unexpectedResponse(operation: operation, status: response.status, detail: "no error document (\(Self.excerpt(response.body)))")
            }
            throw .rejected(operation: operation, rejection)
        }
        return Answer(operation: operation, status: response.status, document: document)
    }

    private func transport(_ request: HTTPRequest) throws(APIClientError) -> HTTPResponse {
        do {
            return try http.send(request, maxResponseBytes: Self.maxAnswerBytes)
        } catch .bodySourceFailed(let underlying) {
            throw .bundleUnreadable(reason: "\(underlying)")
        } catch .bodyEndedEarly(let expected, let sent) {
            throw .bundleUnreadable(reason: "the file ended after \(sent) of \(expected) bytes (did it change?)")
        } catch {
            throw .unreachable(url: Self.withoutQuery(request.url), cause: error)
        }
    }

    static func errorDocument(_ document: JSONValue, head: HTTPResponseHead) -> APIErrorDocument? {
        guard let error = document["error"], let code = error["code"]?.stringValue, let message = error["message"]?.stringValue else {
            return nil
        }
        let issues = error["issues"]?.arrayValue?.map { issue in
            let path = issue["path"]?.stringValue ?? "$"
            let text = issue["message"]?.stringValue ?? issue.serialized()
            return issue["code"]?.stringValue.map { "\(path): \(text) [\($0)]" } ?? "\(path): \(text)"
        }
        return APIErrorDocument(
            status: head.status, code: code, message: message,
            requestID: error["requestId"]?.stringValue ?? head.firstValue(for: "X-Request-Id"),
            field: error["field"]?.stringValue, issues: issues ?? [], retryAfter: head.firstValue(for: "Retry-After"))
    }

    /// The URL up to its query: presigned URLs carry their signature in the query.
    static func withoutQuery(_ url: String) -> String {
        url.firstIndex(of: "?").map { String(url[..<$0]) } ?? url
    }

    /// The first bytes of a body that was not what the contract promised, printable.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        let flat = String(text.map { $0.isNewline ? " " : $0 })
        return flat.isEmpty ? "an empty body" : "\"\(flat)\(body.count > 200 ? "…" : "")\""
    }

    /// RFC 3986 percent-encoding of a query component: everything but the unreserved characters.
    static func queryEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF")
                result += "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
            }
        }
        return result
    }
}
