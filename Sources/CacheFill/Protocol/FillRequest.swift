import Bundle

/// One request of the cache-fill line protocol: `FILL sha256:<64 lowercase hex>\n`.
///
/// Invariant: only the canonical hash form is accepted, so the hash can name a directory as is.
public struct FillRequest: Sendable, Equatable {
    /// The longest request line a server reads before answering `ERR BAD_REQUEST`.
    public static let maxLineBytes = 256

    public let hash: ContentHash

    public init(hash: ContentHash) { self.hash = hash }

    /// Parses one line without its terminating newline; throws the `ERR BAD_REQUEST` answer to send.
    public init(parsing line: String) throws(FillResponse) {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "FILL" else {
            throw .refused(code: "BAD_REQUEST", message: "expected FILL sha256:<64 lowercase hex>")
        }
        guard let hash = ContentHash(parsing: String(parts[1])) else {
            throw .refused(code: "BAD_REQUEST", message: "the content hash must be sha256:<64 lowercase hex>")
        }
        self.hash = hash
    }

    /// The request as sent, newline included.
    public var line: String { "FILL \(hash)\n" }
}
