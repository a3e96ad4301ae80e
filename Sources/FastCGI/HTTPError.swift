import ExthostCore

/// Errors of the request/response plumbing itself.
public enum RequestError: Error, Equatable, Sendable, HTTPError {
    case notFound(path: String)
    case methodNotAllowed(method: String, allowed: [String])
    case invalidQuery
    case invalidPath
    case bodyTooLarge(limit: Int)
    case bodyIncomplete(expected: Int, received: Int)
    case bodyReadFailed
    case invalidJSON(String)
    case internalError

    public var status: HTTPStatus {
        switch self {
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .invalidQuery, .invalidPath, .bodyIncomplete, .bodyReadFailed, .invalidJSON: .badRequest
        case .bodyTooLarge: .payloadTooLarge
        case .internalError: .internalServerError
        }
    }

    public var code: String {
        switch self {
        case .notFound: "NOT_FOUND"
        case .methodNotAllowed: "METHOD_NOT_ALLOWED"
        case .invalidQuery: "INVALID_QUERY"
        case .invalidPath: "INVALID_PATH"
        case .bodyTooLarge: "PAYLOAD_TOO_LARGE"
        case .bodyIncomplete: "BODY_INCOMPLETE"
        case .bodyReadFailed: "BODY_READ_FAILED"
        case .invalidJSON: "INVALID_JSON"
        case .internalError: "INTERNAL_ERROR"
        }
    }

    public var message: String {
        switch self {
        case .notFound(let path): "no route for \(path)"
        case .methodNotAllowed(let method, let allowed):
            "method \(method) is not allowed here; use \(allowed.joined(separator: ", "))"
        case .invalidQuery: "the query string is not valid percent-encoding"
        case .invalidPath: "the path is not valid percent-encoding"
        case .bodyTooLarge(let limit): "the request body exceeds \(limit) bytes"
        case .bodyIncomplete(let expected, let received):
            "the request body ended after \(received) of \(expected) bytes"
        case .bodyReadFailed: "the request body could not be read"
        case .invalidJSON(let detail): "the request body is not valid JSON: \(detail)"
        case .internalError: "internal error; quote the request id when reporting it"
        }
    }

    public var extraHeaders: [(name: String, value: String)] {
        if case .methodNotAllowed(_, let allowed) = self { return [("Allow", allowed.joined(separator: ", "))] }
        return []
    }
}

extension Response {
    /// The one rendering of an error: `{"error":{"code","message","requestId"}}`, plus `field`
    /// when the error names the request field at fault and any `extraMembers` (e.g. `issues`).
    public static func error(_ error: any HTTPError, requestID: String) -> Response {
        var field = error.field.map { ",\"field\":" + JSONString.quote($0) } ?? ""
        for member in error.extraMembers { field += "," + JSONString.quote(member.name) + ":" + member.json }
        let body = "{\"error\":{\"code\":\(JSONString.quote(error.code)),\"message\":\(JSONString.quote(error.message))\(field),\"requestId\":\(JSONString.quote(requestID))}}"
        var response = Response.json(body, status: error.status)
        for field in error.extraHeaders { try? response.headers.set(field.name, field.value) }
        response.errorCode = error.code
        return response
    }
}
