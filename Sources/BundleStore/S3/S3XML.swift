/// One element of the small, flat XML documents S3 answers with: its local name (namespace
/// prefix dropped), its text (entities decoded) and its child elements.
///
/// Invariant: attributes, comments, processing instructions and DOCTYPEs are skipped; mixed
/// content keeps only the concatenated text. Nesting deeper than `S3XML.maximumDepth` is
/// refused, so a hostile answer cannot recurse without bound.
public struct S3XMLElement: Sendable, Equatable {
    public var name: String
    public var text: String
    public var children: [S3XMLElement]

    public func child(_ name: String) -> S3XMLElement? { children.first { $0.name == name } }

    public func children(_ name: String) -> [S3XMLElement] { children.filter { $0.name == name } }

    /// The text of the first child called `name`.
    public func text(of name: String) -> String? { child(name)?.text }
}

/// A minimal XML reader and writer for S3's request and response bodies (no Foundation).
public enum S3XML {
    static let maximumDepth = 16

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { "malformed XML: \(reason)" }
    }

    /// The root element of `bytes`.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> S3XMLElement {
        var scanner = Scanner(bytes: bytes)
        try scanner.skipProlog()
        let root = try scanner.element(depth: 0)
        try scanner.skipMisc()
        guard scanner.atEnd else { throw ParseError(reason: "content after the root element") }
        return root
    }

    /// `text` with `& < > " '` escaped, for element content.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Replaces the five predefined entities and numeric character references.
    static func unescape(_ bytes: ArraySlice<UInt8>) throws(ParseError) -> String {
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "&") else {
                out.append(byte)
                index += 1
                continue
            }
            guard let end = bytes[index...].firstIndex(of: UInt8(ascii: ";")), end - index <= 12 else {
                throw ParseError(reason: "unterminated entity")
            }
            let name = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
            switch name {
            case "amp": out.append(UInt8(ascii: "&"))
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                guard let scalar = numericReference(name) else { throw ParseError(reason: "unknown entity") }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
            index = end + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func numericReference(_ name: String) -> Unicode.Scalar? {
        guard name.hasPrefix("#") else { return nil }
        let digits = name.dropFirst()
        let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
        return value.flatMap(Unicode.Scalar.init)
    }

    /// Walks the bytes once; every method leaves `index` after what it consumed.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        func startsWith(_ text: String) -> Bool {
            let pattern = Array(text.utf8)
            return bytes.count - index >= pattern.count && bytes[index..<(index + pattern.count)].elementsEqual(pattern)
        }

        mutating func skip(past terminator: String) throws(ParseError) {
            let pattern = Array(terminator.utf8)
            while index + pattern.count <= bytes.count {
                if bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
                    index += pattern.count
                    return
                }
                index += 1
            }
            throw ParseError(reason: "missing \(terminator)")
        }

        /// Whitespace, comments, processing instructions and `<!…>` declarations.
        mutating func skipMisc() throws(ParseError) {
            while true {
                skipWhitespace()
                if startsWith("<!--") {
                    try skip(past: "-->")
                } else if startsWith("<?") {
                    try skip(past: "?>")
                } else if startsWith("<!") {
                    try skip(past: ">")
                } else {
                    return
                }
            }
        }

        mutating func skipProlog() throws(ParseError) {
            if startsWith("\u{FEFF}") { index += 3 }
            try skipMisc()
        }

        mutating func name() throws(ParseError) -> String {
            let start = index
            while index < bytes.count, !" \t\r\n/>=".utf8.contains(bytes[index]) { index += 1 }
            guard index > start else { throw ParseError(reason: "missing element name") }
            let full = bytes[start..<index]
            let local = full.lastIndex(of: UInt8(ascii: ":")).map { full[($0 + 1)...] } ?? full
            return String(decoding: local, as: UTF8.self)
        }

        /// Skips attributes up to `>` or `/>`; returns true for an empty element.
        mutating func skipAttributes() throws(ParseError) -> Bool {
            var quote: UInt8?
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if let open = quote {
                    if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: ">") {
                    return bytes[index - 2] == UInt8(ascii: "/")
                }
            }
            throw ParseError(reason: "unterminated tag")
        }

        mutating func element(depth: Int) throws(ParseError) -> S3XMLElement {
            guard depth < S3XML.maximumDepth else { throw ParseError(reason: "nested too deeply") }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else { throw ParseError(reason: "expected an element") }
            index += 1
            var element = S3XMLElement(name: try name(), text: "", children: [])
            if try skipAttributes() { return element }
            var text: [UInt8] = []
            while true {
                guard index < bytes.count else { throw ParseError(reason: "unterminated element \(element.name)") }
                if startsWith("</") {
                    index += 2
                    guard try name() == element.name else { throw ParseError(reason: "mismatched end tag in \(element.name)") }
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw ParseError(reason: "unterminated end tag") }
                    index += 1
                    element.text = try S3XML.unescape(text[...])
                    return element
                } else if startsWith("<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    // CDATA is literal: escape its ampersands so the final unescape restores them.
                    for byte in bytes[start..<(index - 3)] {
                        if byte == UInt8(ascii: "&") { text.append(contentsOf: Array("&amp;".utf8)) } else { text.append(byte) }
                    }
                } else if startsWith("<!--") || startsWith("<?") {
                    try skipMisc()
                } else if bytes[index] == UInt8(ascii: "<") {
                    element.children.append(try self.element(depth: depth + 1))
                } else {
                    text.append(bytes[index])
                    index += 1
                }
            }
        }
    }
}
