/// What an API key may do: `admin` publishes and manages installs, `member` reads and executes.
public enum APIRole: String, Sendable, CaseIterable {
    case admin
    case member

    /// True when a key with this role may call an endpoint that needs `required`; admin
    /// includes member.
    public func satisfies(_ required: APIRole) -> Bool {
        self == .admin || required == .member
    }
}

/// Who a request is: resolved only from a verified key, never from a header.
///
/// Invariant: built only by `APIKeyStore.authenticate` from a live key's row, so `tenantID` is
/// the tenant that key was issued for.
public struct APIPrincipal: Sendable, Equatable {
    public let keyID: String
    public let tenantID: String
    public let role: APIRole
    /// nil for a key that never expires.
    public let expiry: APIKeyExpiry?

    public init(keyID: String, tenantID: String, role: APIRole, expiry: APIKeyExpiry? = nil) {
        self.keyID = keyID
        self.tenantID = tenantID
        self.role = role
        self.expiry = expiry
    }
}
