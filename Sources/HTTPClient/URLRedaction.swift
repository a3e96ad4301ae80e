/// Makes URLs and text that may contain URLs safe to put in an error message or a log line.
///
/// Invariants: query strings become `?<redacted>`, userinfo (`user:password@`) becomes
/// `<redacted>@`, everything else is kept, so the host and path still say what failed.
enum URLRedaction {
    static let placeholder = "<redacted>"

    /// Redacts every whitespace- or quote-delimited token of `text` as a URL.
    static func redactText(_ text: String) -> String {
        var result = ""
        var token = ""
        for character in text {
            if isDelimiter(character) {
                result += redactToken(token)
                result.append(character)
                token = ""
            } else {
                token.append(character)
            }
        }
        return result + redactToken(token)
    }

    /// Redacts one URL (or URL-like token).
    static func redactToken(_ token: String) -> String {
        var token = token
        if let query = token.firstIndex(of: "?"), token.index(after: query) != token.endIndex {
            token = String(token[...query]) + placeholder
        }
        if let schemeEnd = token.firstRange(of: "://") {
            let authorityEnd = token[schemeEnd.upperBound...].firstIndex { $0 == "/" || $0 == "?" } ?? token.endIndex
            if let at = token[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@") {
                token = String(token[..<schemeEnd.upperBound]) + placeholder + String(token[at...])
            }
        }
        return token
    }

    /// The `host[:port]` of an absolute URL, without userinfo; empty when there is none.
    static func host(of url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return "" }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { return String(authority[authority.index(after: at)...]) }
        return String(authority)
    }

    private static func isDelimiter(_ character: Character) -> Bool {
        character.isWhitespace || character == "\"" || character == "'" || character == "<" || character == ">"
    }
}
