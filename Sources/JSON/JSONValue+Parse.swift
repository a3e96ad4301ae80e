/// Limits a caller puts on a document before parsing it.
public struct JSONParseLimits: Sendable, Equatable {
    /// Arrays and objects nested deeper than this are rejected (a scalar at the top is depth 0).
    /// Capped at `depthCeiling` because the parser recurses once per level.
    public var maxDepth: Int
    /// Inputs longer than this many bytes are rejected before any parsing.
    public var maxBytes: Int
    /// Longer number literals are rejected; RFC 8259 §9 allows limits on precision.
    public var maxNumberLength: Int

    public static let depthCeiling = 512

    public init(maxDepth: Int = 64, maxBytes: Int = 16 << 20, maxNumberLength: Int = 1024) {
        self.maxDepth = min(maxDepth, Self.depthCeiling)
        self.maxBytes = maxBytes
        self.maxNumberLength = maxNumberLength
    }
}

extension JSONValue {
    /// Parses exactly one RFC 8259 JSON text, strictly: no comments, trailing commas, NaN,
    /// leading zeros, duplicate keys, invalid UTF-8 or unpaired surrogates.
    public static func parse(_ input: UnsafeRawBufferPointer, limits: JSONParseLimits = JSONParseLimits()) throws(JSONParseError) -> JSONValue {
        guard input.count <= limits.maxBytes else {
            throw JSONParseError(offset: limits.maxBytes, reason: .tooLarge(limit: limits.maxBytes))
        }
        var parser = JSONParser(input: input, limits: limits)
        return try parser.parseDocument()
    }

    public static func parse(_ bytes: some Collection<UInt8>, limits: JSONParseLimits = JSONParseLimits()) throws(JSONParseError) -> JSONValue {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) in try parse(UnsafeRawBufferPointer(buffer), limits: limits) }
        }
        if let result { return try result.get() }
        return try parse(Array(bytes), limits: limits)
    }

    public static func parse(_ text: String, limits: JSONParseLimits = JSONParseLimits()) throws(JSONParseError) -> JSONValue {
        try parse(text.utf8, limits: limits)
    }
}
