/// An error a client may see: it carries the HTTP status, a stable machine-readable code and
/// a message that is safe to show (no secrets, no internals).
///
/// Every typed error of the product conforms; anything else reaching the server is rendered as
/// 500 `INTERNAL_ERROR` with its details kept in the log only.
public protocol HTTPError: Error {
    var status: HTTPStatus { get }
    var code: String { get }
    var message: String { get }
    /// Extra response header fields such as `Allow` or `Retry-After`, as name/value pairs.
    var extraHeaders: [(name: String, value: String)] { get }
    /// Where in the request the problem is (`config.theme`, `id`), for 400s about one field.
    var field: String? { get }
    /// More members of the error object, each a name and its value already serialized as JSON
    /// (the manifest's `issues` list on a 422), so every issue reaches the client at once.
    var extraMembers: [(name: String, json: String)] { get }
}

extension HTTPError {
    public var extraHeaders: [(name: String, value: String)] { [] }
    public var field: String? { nil }
    public var extraMembers: [(name: String, json: String)] { [] }
}

