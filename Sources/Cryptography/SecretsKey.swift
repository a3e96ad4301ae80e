import ExthostCore
import Glibc

/// The AES-256 key that seals install secrets at rest (`EXTHOST_SECRETS_KEY`).
///
/// Invariants: exactly 32 bytes; the bytes are readable only inside this module, and every
/// textual form (`description`, `debugDescription`, reflection by `dump`) is redacted, so the
/// key cannot reach a log line by accident.
public struct SecretsKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let length = 32
    public static let environmentVariable = "EXTHOST_SECRETS_KEY"

    let bytes: [UInt8]

    /// Exactly 32 bytes.
    public init(bytes: [UInt8]) throws(SecretsKeyError) {
        guard bytes.count == Self.length else { throw .invalid }
        self.bytes = bytes
    }

    /// 64 hex chars, or base64/base64url of 32 bytes; surrounding whitespace ignored.
    public init(environmentValue: String) throws(SecretsKeyError) {
        let text = Self.trimmingWhitespace(environmentValue)
        let decoded = text.utf8.count == 2 * Self.length ? Hex.decode(text) : Self.decodeAnyBase64(text)
        guard let decoded else { throw .invalid }
        try self.init(bytes: decoded)
    }

    /// The key in `EXTHOST_SECRETS_KEY`; `.missing` when the variable is unset or blank.
    public static func fromEnvironment() throws(SecretsKeyError) -> SecretsKey {
        guard let raw = getenv(environmentVariable), case let value = String(cString: raw),
            !trimmingWhitespace(value).isEmpty
        else { throw .missing }
        return try SecretsKey(environmentValue: value)
    }

    /// A new random key, e.g. for `exthost config` to suggest or for tests.
    public static func generate() -> SecretsKey {
        // Exactly `length` bytes, so the throwing initializer cannot fail.
        try! SecretsKey(bytes: SecureRandom.bytes(length))
    }

    /// Same key, compared in constant time.
    func hasSameBytes(as other: SecretsKey) -> Bool { ConstantTime.equals(bytes, other.bytes) }

    static func isBlank(_ text: String) -> Bool { trimmingWhitespace(text).isEmpty }

    public var description: String { "SecretsKey(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    private static func trimmingWhitespace(_ text: String) -> String {
        let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
        let bytes = Array(text.utf8)
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    /// Standard or URL-safe base64, padded or not; a text mixing both alphabets is refused.
    private static func decodeAnyBase64(_ text: String) -> [UInt8]? {
        let usesURLAlphabet = text.contains("-") || text.contains("_")
        if usesURLAlphabet && (text.contains("+") || text.contains("/")) { return nil }
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        if standard.utf8.count % 4 != 0 && !standard.hasSuffix("=") {
            standard += String(repeating: "=", count: 4 - standard.utf8.count % 4)
        }
        return Base64.decode(standard)
    }
}

/// Why `EXTHOST_SECRETS_KEY` cannot be used. A configuration fault (500); the message says what
/// is expected and never repeats the value.
public enum SecretsKeyError: HTTPError, Equatable {
    case missing
    case invalid
    /// An entry of `EXTHOST_SECRETS_KEY_PREVIOUS` (1-based) is not a key.
    case invalidPrevious(position: Int)
    /// An entry of `EXTHOST_SECRETS_KEY_PREVIOUS` (1-based) repeats the current key or an earlier entry.
    case previousRepeatsKey(position: Int)
    case previousWithoutCurrent
    case tooManyPrevious

    public var status: HTTPStatus { .internalServerError }

    public var code: String {
        switch self {
        case .missing: "SECRETS_KEY_MISSING"
        case .invalid: "SECRETS_KEY_INVALID"
        case .invalidPrevious, .previousRepeatsKey, .previousWithoutCurrent, .tooManyPrevious: "SECRETS_KEY_PREVIOUS_INVALID"
        }
    }

    public var message: String {
        let previous = SecretsKeyring.previousEnvironmentVariable
        let format = "32 random bytes as 64 hex digits or as base64/base64url (e.g. `openssl rand -hex 32`)"
        return switch self {
        case .missing: "\(SecretsKey.environmentVariable) is not set; it must hold \(format)"
        case .invalid: "\(SecretsKey.environmentVariable) must be \(format)"
        case .invalidPrevious(let position):
            "entry \(position) of \(previous) must be \(format); separate several keys with commas"
        case .previousRepeatsKey(let position):
            "entry \(position) of \(previous) repeats \(SecretsKey.environmentVariable) or an earlier entry: list only retired keys"
        case .previousWithoutCurrent:
            "\(previous) is set but \(SecretsKey.environmentVariable) is not: set the new key in \(SecretsKey.environmentVariable)"
        case .tooManyPrevious:
            "\(previous) holds more than \(SecretsKeyring.maximumPreviousKeys) keys: run `exthost admin rotate-secrets` and drop the retired ones"
        }
    }
}
