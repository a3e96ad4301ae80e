/// The lexical rules of manifest values (names, hooks, export names, bundle paths), checked byte by byte.
enum ManifestSyntax {
    /// `[a-z0-9][a-z0-9-]{0,62}`
    static func isName(_ text: String) -> Bool {
        matches(text, maxLength: 63, first: { isLowercase($0) || isDigit($0) }, rest: { isLowercase($0) || isDigit($0) || $0 == UInt8(ascii: "-") })
    }

    /// `[a-z0-9][a-z0-9-.]{0,62}`
    static func isPublisher(_ text: String) -> Bool {
        matches(text, maxLength: 63, first: { isLowercase($0) || isDigit($0) }, rest: {
            isLowercase($0) || isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        })
    }

    /// `[a-z][a-zA-Z0-9.:-]{0,63}`
    static func isHook(_ text: String) -> Bool {
        matches(text, maxLength: 64, first: isLowercase, rest: {
            isLetter($0) || isDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-")
        })
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, at most 64 characters: a wasm export name exthost can call.
    static func isHandlerName(_ text: String) -> Bool {
        matches(text, maxLength: 64, first: { isLetter($0) || $0 == UInt8(ascii: "_") }, rest: { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") })
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, at most 64 characters: the name of a `:param` or `*rest` capture.
    static func isCaptureName(_ text: String) -> Bool {
        isHandlerName(text)
    }

    /// RFC 3986 unreserved characters, the only ones allowed in literal path segments.
    static func isUnreservedByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "~") || byte == UInt8(ascii: "-")
    }

    static let maxPathLength = 1024

    /// Why `path` is not a safe path relative to the bundle root, or nil when it is one:
    /// non-empty, at most `maxPathLength` bytes, no leading `/`, no `\`, no control
    /// characters, and no empty, `.` or `..` components.
    static func unsafePathReason(_ path: String) -> String? {
        if path.isEmpty { return "is empty" }
        if path.utf8.count > maxPathLength { return "is longer than \(maxPathLength) bytes" }
        if path.hasPrefix("/") { return "must be relative to the bundle root (no leading '/')" }
        if path.utf8.contains(UInt8(ascii: "\\")) { return "must use '/' as separator, not '\\'" }
        if path.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return "contains a control character" }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty { return "has an empty component (a doubled or trailing '/')" }
            if component == "." || component == ".." { return "must not contain '.' or '..' components" }
        }
        return nil
    }

    /// `text` quoted for a message, shortened so hostile input cannot bloat an error.
    static func quoted(_ text: String) -> String {
        let limit = 80
        guard text.unicodeScalars.count > limit else { return text.debugDescription }
        return String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit))).debugDescription + "…"
    }

    private static func matches(_ text: String, maxLength: Int, first: (UInt8) -> Bool, rest: (UInt8) -> Bool) -> Bool {
        let bytes = text.utf8
        guard let lead = bytes.first, bytes.count <= maxLength, first(lead) else { return false }
        return bytes.dropFirst().allSatisfy(rest)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    private static func isLowercase(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
    private static func isLetter(_ byte: UInt8) -> Bool { isLowercase(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) }
}
