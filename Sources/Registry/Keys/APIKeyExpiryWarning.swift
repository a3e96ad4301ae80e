import ExthostCore

/// How long before its expiry a key's requests are warned (`EXTHOST_KEY_EXPIRY_WARNING_DAYS`),
/// and the text of the warning.
///
/// Invariants: `days` is 0 (never warn) to `maximumDays`; the warning names the key by its id
/// (as `exthost admin list-keys` shows it), never by any part of the key itself.
public struct APIKeyExpiryWarning: Sendable, Equatable {
    public static let environmentVariable = "EXTHOST_KEY_EXPIRY_WARNING_DAYS"
    public static let defaultDays = 14
    public static let maximumDays = 365
    public static let standard = APIKeyExpiryWarning(checkedDays: defaultDays)

    public let days: Int

    public init(days: Int) throws(APIKeyExpiryWarningError) {
        guard (0...Self.maximumDays).contains(days) else { throw .invalidDays }
        self.init(checkedDays: days)
    }

    /// The setting in `environment`; unset or blank is `defaultDays`.
    public init(environment: [String: String]) throws(APIKeyExpiryWarningError) {
        let text = String((environment[Self.environmentVariable] ?? "").drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        guard !text.isEmpty else {
            self = .standard
            return
        }
        guard text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), text.utf8.count <= 3, let days = Int(text) else { throw .invalidDays }
        try self.init(days: days)
    }

    private init(checkedDays: Int) {
        days = checkedDays
    }

    /// True when a key with `secondsLeft` to live is inside the window.
    public func applies(secondsLeft: Int64) -> Bool {
        days > 0 && secondsLeft <= Int64(days) * 86_400
    }

    /// The value of the `Warning` response header (RFC 9111 §5.5: warn-code 299, miscellaneous
    /// persistent warning, agent "-") for a key inside the window, else nil.
    public func headerValue(for expiry: APIKeyExpiry?) -> String? {
        guard let expiry, applies(secondsLeft: expiry.secondsLeft) else { return nil }
        return "299 - \"API key \(expiry.keyID) expires at \(expiry.expiresAt); create a new key and revoke this one\""
    }
}

/// Why `EXTHOST_KEY_EXPIRY_WARNING_DAYS` cannot be used: a configuration fault.
public enum APIKeyExpiryWarningError: HTTPError, Equatable {
    case invalidDays

    public var status: HTTPStatus { .internalServerError }
    public var code: String { "KEY_EXPIRY_WARNING_DAYS_INVALID" }
    public var message: String {
        "\(APIKeyExpiryWarning.environmentVariable) must be a whole number of days from 0 (never warn) to \(APIKeyExpiryWarning.maximumDays); default \(APIKeyExpiryWarning.defaultDays)"
    }
}
