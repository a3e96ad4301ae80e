/// When a verified key stops working, as the database clock saw it at verification (keys
/// expire by that clock, so every node agrees).
///
/// Invariant: built only from a live key's row, so `secondsLeft` was positive when read.
public struct APIKeyExpiry: Sendable, Equatable {
    public let keyID: String
    /// RFC 3339 UTC with whole seconds, e.g. `2026-12-01T09:30:00Z`.
    public let expiresAt: String
    public let secondsLeft: Int64

    public init(keyID: String, expiresAt: String, secondsLeft: Int64) {
        self.keyID = keyID
        self.expiresAt = expiresAt
        self.secondsLeft = secondsLeft
    }
}
