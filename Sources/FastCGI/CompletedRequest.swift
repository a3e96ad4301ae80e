/// What a served request amounted to, for metrics: no path (it may hold ids) and no query.
public struct CompletedRequest: Sendable {
    public let method: String
    /// The matched route's pattern; nil when no route matched (404, 405, a malformed request).
    public let route: String?
    public let status: Int
    /// The error code of an error answer (`INVALID_MANIFEST`, `EXTENSION_TIMEOUT`, …), else nil.
    public let errorCode: String?
    public let duration: Duration
    public let bytesIn: Int
    public let bytesOut: Int
}
