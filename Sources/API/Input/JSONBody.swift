import FastCGI
import JSON

/// Reads a request body as one JSON object, bounded in size.
public enum JSONBody {
    /// Management requests are small documents; anything larger is refused while streaming.
    public static let defaultLimit = 1 << 20

    /// The body's top-level object, ready for field-by-field reading.
    public static func object(of request: Request, limit: Int = defaultLimit) throws -> FieldReader {
        let bytes = try request.body.collect(limit: limit)
        let value = try JSONValue.parse(bytes, limits: JSONParseLimits(maxDepth: 32, maxBytes: limit))
        guard let object = value.objectValue else { throw InputError.wrongType(.root, expected: "a JSON object") }
        return FieldReader(object, path: .root)
    }
}
