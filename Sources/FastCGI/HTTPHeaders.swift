import ExthostCore
/// An ordered list of HTTP header fields whose every name and value is known to be safe to
/// hand to nginx.
///
/// Invariants: names are RFC 9110 tokens; values hold no CR, LF or NUL; no field is one that
/// nginx acts on (`Status`, `X-Accel-*`). Those are set only through `Response.setAccel(_:_:)`.
/// Lookups are case-insensitive; the original spelling and order are kept.
public struct HTTPHeaders: Sendable, Sequence, Equatable {
    public struct Field: Sendable, Equatable {
        public let name: String
        public let value: String
    }

    public private(set) var fields: [Field] = []

    public init() {}

    /// Builds headers from pairs, failing on the first unsafe field.
    public init(_ pairs: [(String, String)]) throws(HeaderError) {
        for (name, value) in pairs { try add(name, value) }
    }

    public mutating func add(_ name: String, _ value: String) throws(HeaderError) {
        try Self.validate(name: name, value: value)
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field of that name with one field.
    public mutating func set(_ name: String, _ value: String) throws(HeaderError) {
        try Self.validate(name: name, value: value)
        remove(name)
        fields.append(Field(name: name, value: value))
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.caseInsensitiveEquals(name) }
    }

    public subscript(name: String) -> String? {
        fields.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// Header fields appended by the server side itself, bypassing the reserved-name rule.
    mutating func appendTrusted(_ name: String, _ value: String) throws(HeaderError) {
        try Self.validateSyntax(name: name, value: value)
        fields.append(Field(name: name, value: value))
    }

    public static func validate(name: String, value: String) throws(HeaderError) {
        try validateSyntax(name: name, value: value)
        let lower = name.lowercased()
        if lower == "status" || lower.hasPrefix("x-accel-") { throw .reserved(name: name) }
    }

    static func validateSyntax(name: String, value: String) throws(HeaderError) {
        guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else { throw .invalidName(name: name) }
        guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) else {
            throw .invalidValue(name: name)
        }
    }
}

/// Why a header field was refused.
public enum HeaderError: Error, Equatable, Sendable, HTTPError {
    case invalidName(name: String)
    case invalidValue(name: String)
    case reserved(name: String)

    public var status: HTTPStatus { .internalServerError }
    public var code: String { "INVALID_RESPONSE_HEADER" }
    public var message: String {
        switch self {
        case .invalidName(let name): "header name \(name.debugDescription) is not a valid token"
        case .invalidValue(let name): "header \(name) contains CR, LF or NUL"
        case .reserved(let name): "header \(name) is reserved for the server"
        }
    }
}

/// tchar of RFC 9110 §5.6.2.
func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    default:
        return "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        utf8.count == other.utf8.count && lowercased() == other.lowercased()
    }
}
