import ExthostCore

/// Why the gateway answers `/api/ext/…` itself instead of with the extension's response.
///
/// Invariant: `extensionNotAvailable` is the same answer for an extension that does not exist,
/// one the tenant has not installed, a disabled install and another tenant's install, so a
/// caller learns nothing about other tenants.
public enum GatewayError: HTTPError, Equatable {
    case extensionNotAvailable(String)
    case endpointNotFound(method: String, path: String)
    /// The tree of the pinned version is present but has no module at its `entry`.
    case moduleMissing(entry: String)

    public var status: HTTPStatus {
        switch self {
        case .extensionNotAvailable, .endpointNotFound: .notFound
        case .moduleMissing: .badGateway
        }
    }

    public var code: String {
        switch self {
        case .extensionNotAvailable: "EXTENSION_NOT_AVAILABLE"
        case .endpointNotFound: "ENDPOINT_NOT_FOUND"
        case .moduleMissing: "MODULE_MISSING"
        }
    }

    public var message: String {
        switch self {
        case .extensionNotAvailable(let reference):
            "no enabled install of \(String(reference.prefix(200)).debugDescription) for this tenant"
        case .endpointNotFound(let method, let path):
            "the extension has no endpoint for \(method) \(String(path.prefix(200)).debugDescription)"
        case .moduleMissing(let entry):
            "the extension's bundle has no module at \(String(entry.prefix(200)).debugDescription)"
        }
    }
}
