import Cryptography
import Execution
import ExthostCore
import FastCGI
import JSON

/// Turns a handler's response JSON, `{"status", "headers"?, "body"? (base64) | "text"?}`, into
/// the HTTP response the gateway sends.
///
/// Invariants: the status is a whole number in 100…599; `body` and `text` are never both
/// present; headers are filtered by `ExtensionResponseHeaders`. Anything else is a 502
/// `EXTENSION_BAD_RESPONSE` naming the problem, never the guest's bytes.
public enum ExtensionResponseDocument {
    public static func response(from bytes: [UInt8], maxBytes: Int) throws(ExecutionError) -> Response {
        guard bytes.count <= maxBytes else { throw .badResponse("the response is larger than \(maxBytes) bytes") }
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes, limits: JSONParseLimits(maxDepth: 16, maxBytes: maxBytes))
        } catch {
            throw .badResponse("the response is not valid JSON")
        }
        guard let object = document.objectValue else { throw .badResponse("the response is not a JSON object") }
        guard let code = object["status"]?.intValue, (100...599).contains(code) else {
            throw .badResponse("status must be a whole number from 100 to 599")
        }
        var headers = ExtensionResponseHeaders.filter(try headerPairs(object["headers"]))
        let body = try body(of: object)
        if body.isText, headers["content-type"] == nil { try? headers.add("Content-Type", "text/plain; charset=utf-8") }
        return Response(
            status: HTTPStatus(code, reasonPhrase(code)), headers: headers, body: body.bytes.isEmpty ? .empty : .bytes(body.bytes))
    }

    private static func headerPairs(_ value: JSONValue?) throws(ExecutionError) -> [(name: String, value: String)] {
        guard let value, !value.isNull else { return [] }
        guard let object = value.objectValue else { throw .badResponse("headers must be an object") }
        var pairs: [(name: String, value: String)] = []
        for (name, member) in object {
            if let text = member.stringValue {
                pairs.append((name, text))
            } else if let items = member.arrayValue, items.allSatisfy({ $0.stringValue != nil }) {
                pairs += items.compactMap(\.stringValue).map { (name, $0) }
            } else {
                throw .badResponse("header \(String(name.prefix(64)).debugDescription) must be a string or an array of strings")
            }
        }
        return pairs
    }

    private static func body(of object: JSONObject) throws(ExecutionError) -> (bytes: [UInt8], isText: Bool) {
        switch (object["body"], object["text"]) {
        case (.some, .some):
            throw .badResponse("body and text are exclusive")
        case (.some(let body), nil):
            guard let encoded = body.stringValue, let bytes = Base64.decode(encoded) else { throw .badResponse("body must be base64") }
            return (bytes, false)
        case (nil, .some(let text)):
            guard let text = text.stringValue else { throw .badResponse("text must be a string") }
            return (Array(text.utf8), true)
        case (nil, nil):
            return ([], false)
        }
    }

    /// The reason phrase nginx shows with the status line; a generic one for unusual codes.
    static func reasonPhrase(_ code: Int) -> String {
        switch code {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 409: "Conflict"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: ["Informational", "Success", "Redirection", "Client Error", "Server Error"][code / 100 - 1]
        }
    }
}
