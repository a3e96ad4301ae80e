/// The checks a request passes before any byte is sent, so that no caller-supplied string can
/// smuggle a second header field or request line, or reach a scheme other than http(s).
enum RequestValidation {
    static func check(_ request: HTTPRequest) throws(HTTPClientError) {
        guard isToken(request.method) else { throw .invalidRequest(reason: "the method is not an HTTP token") }
        try checkURL(request.url)
        for field in request.headers {
            try checkField(field, bodyLength: request.body.length)
        }
        if case .stream(let length, _) = request.body, length < 0 {
            throw .invalidRequest(reason: "a streamed body needs a length of zero or more")
        }
        if request.method == "HEAD", request.body.length > 0 {
            throw .invalidRequest(reason: "a HEAD request cannot carry a body")
        }
        if let resolve = request.resolve, resolve.contains(where: { $0.utf8.contains(where: isControlOrSpace) }) {
            throw .invalidRequest(reason: "a resolve entry contains a control character or a space")
        }
        if let limit = request.maxResponseBytes, limit < 0 {
            throw .invalidRequest(reason: "maxResponseBytes must not be negative")
        }
    }

    private static func checkURL(_ url: String) throws(HTTPClientError) {
        let invalid = HTTPClientError.invalidURL(url: URLRedaction.redactToken(url))
        guard !url.utf8.contains(where: isControlOrSpace), let schemeEnd = url.firstRange(of: "://") else { throw invalid }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https", !URLRedaction.host(of: url).isEmpty else { throw invalid }
    }

    private static func checkField(_ field: (name: String, value: String), bodyLength: Int64) throws(HTTPClientError) {
        guard isToken(field.name) else { throw .invalidRequest(reason: "a header field name is not an HTTP token") }
        // Names are safe to show; values never are.
        guard !field.value.utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D }) else {
            throw .invalidRequest(reason: "the value of header field \(field.name) contains CR, LF or NUL")
        }
        if HTTPFieldName.equal(field.name, "Transfer-Encoding") {
            throw .invalidRequest(reason: "bodies are always sent with a Content-Length, never a Transfer-Encoding")
        }
        if HTTPFieldName.equal(field.name, "Content-Length"), field.value != String(bodyLength) {
            throw .invalidRequest(reason: "a Content-Length field disagrees with the body's length")
        }
    }

    /// RFC 9110 `token`: one or more visible ASCII characters other than delimiters.
    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && !"\"(),/:;<=>?@[\\]{}".utf8.contains(byte)
        }
    }

    private static func isControlOrSpace(_ byte: UInt8) -> Bool {
        byte <= 0x20 || byte == 0x7F
    }
}
