import ExthostCore
import Registry

/// Why a request was refused before reaching its handler: no usable API key (401) or a key
/// whose role is too weak (403).
///
/// The 401s carry `WWW-Authenticate` as RFC 6750 describes, and the messages never say which of
/// unknown, expired, revoked or malformed a key was, so probing learns nothing.
public enum AuthError: HTTPError, Equatable {
    case missingCredentials
    case invalidCredentials
    case forbidden(required: APIRole)

    static let challenge = #"Bearer realm="exthost""#

    public var status: HTTPStatus {
        switch self {
        case .missingCredentials, .invalidCredentials: .unauthorized
        case .forbidden: .forbidden
        }
    }

    public var code: String {
        switch self {
        case .missingCredentials: "UNAUTHENTICATED"
        case .invalidCredentials: "INVALID_API_KEY"
        case .forbidden: "FORBIDDEN"
        }
    }

    public var message: String {
        switch self {
        case .missingCredentials:
            "this endpoint needs an API key: send Authorization: Bearer <key> (exthost admin create-key issues one)"
        case .invalidCredentials:
            "the API key is not valid: it is unknown, expired or revoked"
        case .forbidden(let required):
            "this operation needs an API key with the \(required.rawValue) role"
        }
    }

    public var extraHeaders: [(name: String, value: String)] {
        switch self {
        case .missingCredentials: [(name: "WWW-Authenticate", value: Self.challenge)]
        case .invalidCredentials: [(name: "WWW-Authenticate", value: Self.challenge + #", error="invalid_token""#)]
        case .forbidden: [(name: "WWW-Authenticate", value: Self.challenge + #", error="insufficient_scope""#)]
        }
    }
}

extension APIPrincipal {
    /// Throws `.forbidden` unless this key's role is `role` or stronger; admin satisfies member.
    public func require(_ role: APIRole) throws(AuthError) {
        guard self.role.satisfies(role) else { throw .forbidden(required: role) }
    }
}
