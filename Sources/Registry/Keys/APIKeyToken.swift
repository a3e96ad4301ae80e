import Cryptography

/// The text form of an API key: `exh_` followed by 32 random bytes in unpadded base64url
/// (43 characters), 47 characters in all.
///
/// The prefix lets secret scanners and people recognise a leaked key; the 256 random bits make
/// guessing hopeless, so a plain SHA-256 (no salt, no slow hash) is enough to store it.
public enum APIKeyToken {
    public static let prefix = "exh_"
    static let randomByteCount = 32
    static let encodedLength = 43

    public static func generate() -> String {
        prefix + urlSafe(SecureRandom.bytes(randomByteCount))
    }

    /// True for the exact shape `generate` makes, so a malformed value costs no database query.
    public static func isWellFormed(_ token: String) -> Bool {
        guard token.hasPrefix(prefix), token.utf8.count == prefix.utf8.count + encodedLength else { return false }
        let body = String(token.dropFirst(prefix.count))
        guard !body.contains(where: { $0 == "+" || $0 == "/" || $0 == "=" }) else { return false }
        let standard = String(body.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 }) + "="
        guard let bytes = Base64.decode(standard), bytes.count == randomByteCount else { return false }
        // 32 bytes fill 43 characters but for 2 bits; re-encoding rejects the spellings with
        // non-zero bits there, so each key has exactly one text form.
        return urlSafe(bytes) == body
    }

    /// SHA-256 of the UTF-8 token: what `api_keys.key_sha256` holds.
    public static func digest(_ token: String) -> [UInt8] {
        SHA256.hash(token.utf8).bytes
    }

    private static func urlSafe(_ bytes: [UInt8]) -> String {
        String(Base64.encode(bytes).compactMap { character -> Character? in
            switch character {
            case "+": "-"
            case "/": "_"
            case "=": nil
            default: character
            }
        })
    }
}
