/// One disagreement `exthost admin fsck` found between registry rows, stored objects and a
/// node's cache tree.
///
/// Invariants: `code` is UPPER_SNAKE and stable (scripts match on it); `subject` names the row,
/// key or path concerned and `message` says what is wrong and what heals it, neither ever
/// holding a secret.
public struct ConsistencyFinding: Sendable, Hashable {
    public enum Severity: String, Sendable, Comparable {
        /// Allowed by the contract but worth an operator's look (orphans in a write-once store,
        /// leftovers `exthost admin gc` will collect): the check still passes.
        case warning
        /// Something a reader will trip over (a row without its object, a partial tree).
        case error

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .warning && rhs == .error }
    }

    public let severity: Severity
    public let code: String
    public let subject: String
    public let message: String

    public init(_ severity: Severity, code: String, subject: String, message: String) {
        self.severity = severity
        self.code = code
        self.subject = subject
        self.message = message
    }
}
