import ExthostCore

/// Why a document was rejected, where (byte offset and JSON path) and what the client should fix.
///
/// `offset` is the 0-based byte offset of the offending byte in the input. `path` names the
/// value being parsed when the error happened (`$` at the top level).
public struct JSONParseError: Error, Sendable, Equatable, HTTPError {
    public enum Reason: Sendable, Equatable {
        case empty
        case unexpectedEnd
        case unexpectedCharacter(UInt8)
        case expected(String)
        case trailingComma
        case trailingCharacters
        case leadingZero
        case invalidNumber
        case numberTooLong(limit: Int)
        case invalidEscape
        case loneSurrogate
        case controlCharacterInString
        case invalidUTF8
        case duplicateKey(String)
        case tooDeep(limit: Int)
        case tooLarge(limit: Int)
    }

    public let offset: Int
    public let reason: Reason
    public internal(set) var path: JSONPath

    init(offset: Int, reason: Reason, path: JSONPath = .root) {
        self.offset = offset
        self.reason = reason
        self.path = path
    }

    /// The error seen from one level up: `component` is prefixed to the path.
    func nested(in component: JSONPath.Component) -> JSONParseError {
        JSONParseError(offset: offset, reason: reason, path: JSONPath([component] + path.components))
    }

    public var status: HTTPStatus {
        if case .tooLarge = reason { return .payloadTooLarge }
        return .badRequest
    }

    public var code: String {
        switch reason {
        case .duplicateKey: "JSON_DUPLICATE_KEY"
        case .tooLarge: "PAYLOAD_TOO_LARGE"
        default: "INVALID_JSON"
        }
    }

    public var field: String? { path.components.isEmpty ? nil : path.description }

    public var message: String {
        if case .tooLarge(let limit) = reason { return "the JSON document exceeds \(limit) bytes" }
        let location = path.components.isEmpty ? "" : " (at \(path))"
        return "invalid JSON at byte \(offset)\(location): \(explanation)"
    }

    /// The reason alone, in words.
    public var explanation: String {
        switch reason {
        case .empty: "the document is empty"
        case .unexpectedEnd: "unexpected end of input"
        case .unexpectedCharacter(let byte): "unexpected \(Self.describe(byte))"
        case .expected(let what): "expected \(what)"
        case .trailingComma: "trailing comma"
        case .trailingCharacters: "unexpected data after the JSON value"
        case .leadingZero: "numbers must not have leading zeros"
        case .invalidNumber: "malformed number"
        case .numberTooLong(let limit): "number longer than \(limit) characters"
        case .invalidEscape: "invalid escape sequence in string"
        case .loneSurrogate: "\\u escape is an unpaired UTF-16 surrogate"
        case .controlCharacterInString: "unescaped control character in string"
        case .invalidUTF8: "invalid UTF-8"
        case .duplicateKey(let key): "duplicate key \(Self.quoteShort(key))"
        case .tooDeep(let limit): "nesting deeper than \(limit) levels"
        case .tooLarge(let limit): "document larger than \(limit) bytes"
        }
    }

    private static func describe(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "/"): "'/' (comments are not JSON)"
        case UInt8(ascii: "N"), UInt8(ascii: "I"): "'\(Character(Unicode.Scalar(byte)))' (NaN and Infinity are not JSON)"
        case 0x21...0x7E: "character '\(Character(Unicode.Scalar(byte)))'"
        default: "byte 0x" + String(byte, radix: 16, uppercase: true)
        }
    }

    /// Quotes a key from the input for the message, cut short so an error stays small.
    private static func quoteShort(_ key: String) -> String {
        let limit = 64
        let shown = key.unicodeScalars.count > limit ? String(String.UnicodeScalarView(key.unicodeScalars.prefix(limit))) + "…" : key
        return JSONValue.string(shown).serialized()
    }
}
