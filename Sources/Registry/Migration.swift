/// One numbered schema change, carried in the binary as SQL text.
///
/// Invariant: `sql` is a sequence of statements, each ending with `;` as the last character of
/// a line; a `;` ending a line inside a string literal or function body is therefore not
/// allowed (libpq's `PQexecParams` runs one statement at a time, so the text is split there).
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// `0001 initial`: how the CLI and the log name a migration.
    public var label: String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + " " + name
    }

    /// The statements of `sql`, in order, without their terminating `;` and without
    /// chunks that hold only comments or blank lines.
    public var statements: [String] {
        var statements: [String] = []
        var current: [Substring] = []
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingTrailingWhitespace()
            guard trimmed.hasSuffix(";") else {
                current.append(line)
                continue
            }
            current.append(trimmed.dropLast())
            statements.append(current.joined(separator: "\n"))
            current = []
        }
        statements.append(current.joined(separator: "\n"))
        return statements.filter { !Self.isOnlyComments($0) }
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { line in
            let content = line.drop { $0 == " " || $0 == "\t" }
            return content.isEmpty || content.hasPrefix("--")
        }
    }
}

extension Substring {
    fileprivate func trimmingTrailingWhitespace() -> Substring {
        var text = self
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return text
    }
}
