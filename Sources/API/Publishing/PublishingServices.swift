import Bundle
import BundleStore
import Cryptography
import ExthostCore
import Glibc
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
        let trustStore = try environment["SIGNING_TRUST_BUNDLE"].flatMap { $0.isEmpty ? nil : $0 }.map { path in
            guard let pem = Self.readSmallFile(path) else {
                throw PublishingConfigurationError.invalid(name: "SIGNING_TRUST_BUNDLE", reason: "names \(path), which cannot be read")
            }
            return try TrustStore(pem: pem)
        }
        self.init(
            store: try BundleStoreSelection.make(environment: environment), pool: pool,
            limits: try PublishingLimits(environment: environment), signaturePolicy: SignaturePolicy(trustStore: trustStore), logger: logger)
    }

    /// A whole text file of at most 4 MiB (a PEM bundle), nil when it cannot be read.
    static func readSmallFile(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > 4 << 20 { return nil }
        }
        return ferror(file) == 0 ? String(decoding: bytes, as: UTF8.self) : nil
    }
}
