import FastCGI
import Registry

/// Turns a request's bearer key into the principal the handlers act for.
///
/// Invariant: the tenant and role come only from the verified key's row; no header, query
/// parameter or body field is consulted for them.
public struct Authenticator: Sendable {
    private let keys: APIKeyStore

    public init(keys: APIKeyStore) {
        self.keys = keys
    }

    /// Reads `Authorization: Bearer <token>` (scheme case-insensitive) from request.headers;
    /// throws AuthError, or RegistryError when the database is down (503 passes through).
    public func authenticate(_ request: Request) throws -> APIPrincipal {
        try authenticate(authorization: request.headers["authorization"])
    }

    /// The same check given the raw header value, for callers without a `Request`.
    public func authenticate(authorization: String?) throws -> APIPrincipal {
        let token = try BearerCredentials.token(fromAuthorization: authorization)
        guard let principal = try keys.authenticate(token: token) else { throw AuthError.invalidCredentials }
        return principal
    }
}
