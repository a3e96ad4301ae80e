/// One answer of the cache-fill line protocol: `OK <path>\n` or `ERR <CODE> <message>\n`.
///
/// Invariants: a code is UPPER_SNAKE (`[A-Z0-9_]+`); the encoded line holds exactly one newline,
/// at its end, because messages have control characters replaced by spaces.
public enum FillResponse: Error, Sendable, Equatable {
    /// The tree is complete at this absolute path.
    case filled(path: String)
    case refused(code: String, message: String)

    /// The longest answer line a client reads before calling the answer malformed.
    public static let maxLineBytes = 8192

    /// Parses one line without its terminating newline; nil when it is not a valid answer.
    public init?(parsing line: String) {
        if line.hasPrefix("OK ") {
            let path = String(line.dropFirst(3))
            guard path.hasPrefix("/"), !path.contains(where: \.isControlCharacter) else { return nil }
            self = .filled(path: path)
            return
        }
        guard line.hasPrefix("ERR ") else { return nil }
        let rest = line.dropFirst(4)
        let code = rest.prefix { $0 != " " }
        guard Self.isValidCode(code) else { return nil }
        self = .refused(code: String(code), message: String(rest.dropFirst(code.count + 1)))
    }

    /// The answer as sent, newline included.
    public var line: String {
        switch self {
        case .filled(let path):
            "OK \(path)\n"
        case .refused(let code, let message):
            "ERR \(Self.isValidCode(Substring(code)) ? code : "INTERNAL_ERROR") \(Self.singleLine(message))\n"
        }
    }

    static func isValidCode(_ code: Substring) -> Bool {
        !code.isEmpty && code.utf8.allSatisfy { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }

    private static func singleLine(_ text: String) -> String {
        String(text.map { $0.isControlCharacter ? " " : $0 })
    }
}

extension Character {
    var isControlCharacter: Bool { unicodeScalars.contains { $0.properties.generalCategory == .control } }
}
