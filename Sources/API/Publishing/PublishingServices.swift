import Bundle
import BundleStore
import ExthostCore
import Logging
import Postgres
import Registry

/// A publishing setting the process cannot start with.
public enum PublishingConfigurationError: HTTPError, Equatable {
    case invalid(name: String, reason: String)

    public var status: HTTPStatus { .internalServerError }
    public var code: String { "CONFIGURATION_INVALID" }
    public var message: String {
        switch self {
        case .invalid(let name, let reason): "\(name) \(reason)"
        }
    }
}

/// What the publishing handlers share: the bundle store, the session and publication stores,
/// the limits and the signature policy.
///
/// Invariant: with `SIGNING_TRUST_BUNDLE` set, `signaturePolicy` requires a trusted signature
/// on every finalize (fail closed); a trust bundle that cannot be read stops the process at
/// start instead of silently accepting unsigned bundles.
public struct PublishingServices: Sendable {
    public let store: any BundleStore
    public let sessions: UploadSessionStore
    public let publications: PublicationStore
    public let limits: PublishingLimits
    public let signaturePolicy: SignaturePolicy
    public let logger: Logger

    public init(store: any BundleStore, pool: PostgresPool, limits: PublishingLimits, signaturePolicy: SignaturePolicy, logger: Logger) {
        self.store = store
        sessions = UploadSessionStore(pool: pool)
        publications = PublicationStore(pool: pool)
        self.limits = limits
        self.signaturePolicy = signaturePolicy
        self.logger = logger
    }

    /// Everything from the environment: the store (`EXTHOST_BUNDLE_STORE`), the limits and
    /// `SIGNING_TRUST_BUNDLE`.
    public init(environment: [String: String], pool: PostgresPool, logger: Logger) throws {
        self.init(
            store: try BundleStoreSelection.make(environment: environment), pool: pool,
            limits: try PublishingLimits(environment: environment), signaturePolicy: try SignaturePolicy(environment: environment), logger: logger)
    }
}
