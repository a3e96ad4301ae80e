import Cryptography
import JSON

/// The members of one `http.fetch` host call, checked before anything is resolved or sent:
/// `{"op":"http.fetch","method","url","headers"?,"body"?}`.
///
/// Invariants: the method is an HTTP token other than CONNECT, TRACE and TRACK (GET when
/// absent); header names are tokens and values hold no CR, LF or NUL; hop-by-hop fields,
/// `Host`, `Content-Length` and `Expect` are dropped (the host sets them); the body is the
/// decoded base64 and is empty for HEAD.
struct FetchRequest {
    static let maxHeaderCount = 100
    static let maxHeaderBytes = 64 << 10
    static let droppedHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length", "expect",
    ]

    let method: String
    let destination: EgressDestination
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    init(_ request: JSONValue) throws(EgressFetchError) {
        method = try Self.method(request["method"])
        guard let url = request["url"]?.stringValue else { throw .invalidURL("url must be a string") }
        destination = try EgressDestination(url)
        headers = try Self.headers(request["headers"])
        body = try Self.body(request["body"])
        if method == "HEAD", !body.isEmpty { throw .invalidRequest("a HEAD request cannot carry a body") }
    }

    private static func method(_ value: JSONValue?) throws(EgressFetchError) -> String {
        guard let value, !value.isNull else { return "GET" }
        guard let method = value.stringValue, method.utf8.count <= 32, isToken(method) else {
            throw .invalidRequest("method must be an HTTP method name")
        }
        guard !["CONNECT", "TRACE", "TRACK"].contains(method.uppercased()) else {
            throw .invalidRequest("method \(method) is not available to http.fetch")
        }
        return method
    }

    private static func headers(_ value: JSONValue?) throws(EgressFetchError) -> [(name: String, value: String)] {
        guard let value, !value.isNull else { return [] }
        guard let object = value.objectValue else { throw .invalidRequest("headers must be an object of strings or arrays of strings") }
        var fields: [(name: String, value: String)] = []
        var bytes = 0
        for (name, member) in object {
            guard isToken(name) else { throw .invalidRequest("header name \(String(name.prefix(64)).debugDescription) is not an HTTP token") }
            let values = try texts(member, name: name)
            guard !droppedHeaders.contains(name.lowercased()) else { continue }
            for text in values {
                guard !text.utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D }) else {
                    throw .invalidRequest("the value of header \(name) contains CR, LF or NUL")
                }
                bytes += name.utf8.count + text.utf8.count
                fields.append((name: name, value: text))
            }
        }
        guard fields.count <= maxHeaderCount, bytes <= maxHeaderBytes else {
            throw .invalidRequest("at most \(maxHeaderCount) headers of \(maxHeaderBytes) bytes in all")
        }
        return fields
    }

    private static func texts(_ member: JSONValue, name: String) throws(EgressFetchError) -> [String] {
        if let text = member.stringValue { return [text] }
        if let array = member.arrayValue {
            let texts = array.compactMap(\.stringValue)
            if texts.count == array.count { return texts }
        }
        throw .invalidRequest("header \(name) must be a string or an array of strings")
    }

    private static func body(_ value: JSONValue?) throws(EgressFetchError) -> [UInt8] {
        guard let value, !value.isNull else { return [] }
        guard let text = value.stringValue, let bytes = Base64.decode(text) else { throw .invalidRequest("body must be base64") }
        return bytes
    }

    /// RFC 9110 `token`: one or more visible ASCII characters other than delimiters.
    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && !"\"(),/:;<=>?@[\\]{}".utf8.contains(byte)
        }
    }
}
