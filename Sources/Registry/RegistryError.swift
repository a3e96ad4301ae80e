import ExthostCore
import Postgres

/// A registry failure a client or operator may see.
///
/// Invariant: `message` never carries server text, connection strings or secret values;
/// database failures keep the `PostgresError` (whose own message is already safe) so their
/// status and code pass through.
public enum RegistryError: HTTPError, Equatable {
    /// The database schema is older than this binary needs.
    case schemaOutdated(current: Int, required: Int)
    /// The database failed or is unreachable.
    case database(PostgresError)
    /// No extension with this id or `publisher.name`.
    case extensionNotFound(String)
    /// The extension has no such version.
    case versionNotFound(extension: String, version: String)
    /// No install with this id for the caller's tenant (another tenant's install looks the same).
    case installNotFound(String)
    /// The tenant already has an install of this extension.
    case alreadyInstalled(extensionID: String)
    /// Grants the pinned version does not declare.
    case capabilitiesNotDeclared([String], version: String)
    /// Install secrets cannot be read or written: `EXTHOST_SECRETS_KEY` is not configured.
    case secretsUnavailable
    /// A stored secret failed authentication: the key changed or the row was tampered with.
    case secretUnreadable(name: String)
    /// A value the registry refuses before any query (e.g. a tenant id that is not a uuid).
    case invalidValue(field: String, reason: String)
    /// No upload session with this id for the caller's tenant.
    case uploadNotFound(String)
    /// The session was aborted, expired or failed; a new upload is needed.
    case uploadClosed(String, state: String)
    /// Another finalize of this upload is running.
    case finalizeInProgress(String)
    /// `publisher.name@version` is already published with other content (write-once).
    case versionExists(extension: String, version: String, contentHash: String)

    public var status: HTTPStatus {
        switch self {
        case .schemaOutdated, .secretsUnavailable: .serviceUnavailable
        case .database(let error): error.status
        case .extensionNotFound, .versionNotFound, .installNotFound: .notFound
        case .alreadyInstalled, .uploadClosed, .finalizeInProgress, .versionExists: .conflict
        case .uploadNotFound: .notFound
        case .capabilitiesNotDeclared: .unprocessableEntity
        case .secretUnreadable: .internalServerError
        case .invalidValue: .badRequest
        }
    }

    public var code: String {
        switch self {
        case .schemaOutdated: "SCHEMA_OUTDATED"
        case .database(let error): error.code
        case .extensionNotFound: "EXTENSION_NOT_FOUND"
        case .versionNotFound: "VERSION_NOT_FOUND"
        case .installNotFound: "INSTALL_NOT_FOUND"
        case .alreadyInstalled: "ALREADY_INSTALLED"
        case .uploadNotFound: "UPLOAD_NOT_FOUND"
        case .uploadClosed: "UPLOAD_CLOSED"
        case .finalizeInProgress: "FINALIZE_IN_PROGRESS"
        case .versionExists: "VERSION_EXISTS"
        case .capabilitiesNotDeclared: "CAPABILITY_NOT_DECLARED"
        case .secretsUnavailable: "SECRETS_UNAVAILABLE"
        case .secretUnreadable: "SECRET_UNREADABLE"
        case .invalidValue: "INVALID_FIELD"
        }
    }

    public var message: String {
        switch self {
        case .schemaOutdated(let current, let required):
            "database schema is at version \(current), this binary needs \(required): run `exthost admin migrate`"
        case .database(let error): error.message
        case .extensionNotFound(let reference): "no extension \(reference); GET /api/extensions lists them"
        case .versionNotFound(let reference, let version):
            "extension \(reference) has no version \(version); GET /api/extensions/\(reference) lists them"
        case .installNotFound(let id): "no install \(id) for this tenant"
        case .alreadyInstalled(let extensionID):
            "this tenant already has extension \(extensionID) installed; PATCH that install to change its version"
        case .capabilitiesNotDeclared(let names, let version):
            "version \(version) does not declare \(names.joined(separator: ", ")); grant only capabilities it declares"
        case .uploadNotFound(let id): "no upload \(id) for this tenant; start one with POST /api/ext-bundles/initiate-upload"
        case .uploadClosed(let id, let state): "upload \(id) is \(state); start a new upload"
        case .finalizeInProgress(let id): "upload \(id) is being finalized by another request; retry shortly"
        case .versionExists(let reference, let version, let hash):
            "\(reference) \(version) is already published with content \(hash); publish a new version number"
        case .secretsUnavailable: "install secrets are disabled: the server has no EXTHOST_SECRETS_KEY"
        case .secretUnreadable(let name):
            "secret \(name) cannot be decrypted with EXTHOST_SECRETS_KEY or any key of EXTHOST_SECRETS_KEY_PREVIOUS: add the key that sealed it, or set the secret again"
        case .invalidValue(let field, let reason): "\(field) \(reason)"
        }
    }

    public var extraHeaders: [(name: String, value: String)] {
        switch self {
        case .database(let error): error.extraHeaders
        case .finalizeInProgress: [(name: "Retry-After", value: "2")]
        default: []
        }
    }

    public var field: String? {
        switch self {
        case .capabilitiesNotDeclared: "grantedCapabilities"
        case .versionNotFound: "version"
        case .invalidValue(let field, _): field
        default: nil
        }
    }
}
