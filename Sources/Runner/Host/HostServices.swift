import Logging
import Registry

/// Reads an install's decrypted secrets (the registry, `EXTHOST_SECRETS_KEY`).
public protocol SecretsSource: Sendable {
    func reveal(tenantID: String, installID: String) throws -> [String: String]
}

extension InstallSecrets: SecretsSource {}

/// What the host calls of every request share: the secrets, storage and egress, the log and the
/// bounds on what one request may log.
///
/// Invariant: the bounds are positive; a request past them has its further lines dropped and
/// one notice logged instead.
public struct HostServices: Sendable {
    public let secrets: any SecretsSource
    /// Nil on a host without storage: `storage.*` then answers `not_allowed`.
    public let storage: (any KeyValueStorage)?
    /// `http.fetch`; the default has an empty allowlist, so every fetch answers `not_allowed`.
    public let fetcher: EgressFetcher
    public let logger: Logger
    public let maxLogLines: Int
    public let maxLogBytes: Int
    public let maxLogLineBytes: Int

    public init(
        secrets: any SecretsSource, storage: (any KeyValueStorage)? = nil, fetcher: EgressFetcher = EgressFetcher(), logger: Logger,
        maxLogLines: Int = 100, maxLogBytes: Int = 64 * 1024, maxLogLineBytes: Int = 4 * 1024
    ) {
        self.secrets = secrets
        self.storage = storage
        self.fetcher = fetcher
        self.logger = logger
        self.maxLogLines = max(1, maxLogLines)
        self.maxLogBytes = max(1, maxLogBytes)
        self.maxLogLineBytes = max(1, maxLogLineBytes)
    }
}
