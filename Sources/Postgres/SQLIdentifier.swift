/// A validated SQL name that is safe to splice into statement text where parameters cannot go
/// (table and column names, LISTEN channels).
///
/// Invariant: `quoted` is built only from `[a-z_][a-z0-9_]{0,62}` parts, optionally one
/// `schema.` prefix, each wrapped in double quotes.
struct SQLIdentifier: Sendable {
    let quoted: String

    init(_ name: String, allowSchema: Bool = false) throws(PostgresError) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 1 || (allowSchema && parts.count == 2),
            parts.allSatisfy(SQLIdentifier.isPlain)
        else { throw .invalidIdentifier(name) }
        quoted = parts.map { "\"\($0)\"" }.joined(separator: ".")
    }

    private static func isPlain(_ part: Substring) -> Bool {
        guard let first = part.utf8.first, part.utf8.count <= 63 else { return false }
        let isStart = { (byte: UInt8) in byte == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
        return isStart(first) && part.utf8.allSatisfy { isStart($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
