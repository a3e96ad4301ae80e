/// What `exthost admin list-keys` says about a key's life: usable, soon unusable, or not.
public enum APIKeyState: String, Sendable, CaseIterable {
    case active
    /// Still works, but expires inside the `EXTHOST_KEY_EXPIRY_WARNING_DAYS` window.
    case expiring
    case expired
    case revoked
}

extension APIKeyRecord {
    /// Revocation wins over expiry; judged by the seconds left when the record was read.
    public func state(warning: APIKeyExpiryWarning) -> APIKeyState {
        if revokedAt != nil { return .revoked }
        guard let secondsUntilExpiry else { return .active }
        if secondsUntilExpiry <= 0 { return .expired }
        return warning.applies(secondsLeft: secondsUntilExpiry) ? .expiring : .active
    }
}
