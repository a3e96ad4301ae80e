/// Reads the token out of an `Authorization` header value (RFC 6750 §2.1).
///
/// The scheme is matched case-insensitively and may be followed by any run of spaces or tabs;
/// the token's own shape is checked later by the key store, so a malformed token is an invalid
/// credential rather than a missing one.
public enum BearerCredentials {
    /// The token, `.missingCredentials` for no header or another scheme (e.g. Basic), and
    /// `.invalidCredentials` for `Bearer` without a token.
    public static func token(fromAuthorization value: String?) throws(AuthError) -> String {
        guard let value else { throw .missingCredentials }
        let trimmed = value.drop(while: isBlank)
        let scheme = trimmed.prefix(while: { !isBlank($0) })
        guard scheme.lowercased() == "bearer" else { throw .missingCredentials }
        let token = trimmed.dropFirst(scheme.count).drop(while: isBlank)
        let end = token.lastIndex(where: { !isBlank($0) }).map(token.index(after:)) ?? token.startIndex
        guard end > token.startIndex else { throw .invalidCredentials }
        return String(token[..<end])
    }

    private static func isBlank(_ character: Character) -> Bool {
        character == " " || character == "\t"
    }
}
