import API
import ExthostCore
import FastCGI
import Registry

/// A worker's short memory of verified API keys, so a burst of requests with one key costs
/// one registry query per `timeToLive` instead of one each (the query was the largest part of
/// a hello execution's cost).
///
/// Invariants: entries are keyed by the token's SHA-256 (the token itself is never kept); only
/// keys the registry accepted are remembered, so a stream of bad tokens still hits the registry
/// (and cannot fill the cache); an entry is served for at most `timeToLive`, so an expiry or a
/// revocation whose notification was missed takes effect within that time, and a revocation
/// that is announced (`APIKeyStore.revocationChannel`) takes effect as soon as the listener
/// sees it; the cache holds at most `capacity` entries per worker thread's stripe
/// (`ThreadStripes`: request threads do not queue on one lock; each stripe verifies a key once).
public final class VerifiedKeyCache: TenantAuthenticating {
    public static let defaultTimeToLive: Duration = .seconds(2)
    public static let defaultCapacity = 1_000

    private struct Entry: Sendable {
        let tenantID: String
        let keyExpiry: APIKeyExpiry?
        let expires: ContinuousClock.Instant
    }

    private let authenticator: Authenticator
    private let timeToLive: Duration
    private let capacity: Int
    private let entries = ThreadStripes<[[UInt8]: Entry]> { [:] }

    public init(authenticator: Authenticator, timeToLive: Duration = defaultTimeToLive, capacity: Int = defaultCapacity) {
        self.authenticator = authenticator
        self.timeToLive = timeToLive
        self.capacity = max(1, capacity)
    }

    /// The expiry is the one read when the key was verified, at most `timeToLive` ago.
    public func verifiedKey(for request: Request) throws -> (tenantID: String, expiry: APIKeyExpiry?) {
        let authorization = request.headers["authorization"]
        let token = try BearerCredentials.token(fromAuthorization: authorization)
        let digest = APIKeyToken.digest(token)
        let now = ContinuousClock.now
        // Only accepted (so well-formed) keys are remembered: a hit needs no shape check.
        if let entry = entries.withLock({ $0[digest] }), entry.expires > now { return (entry.tenantID, entry.keyExpiry) }
        guard APIKeyToken.isWellFormed(token) else { throw AuthError.invalidCredentials }
        let principal = try authenticator.authenticate(authorization: authorization)
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[digest] = Entry(tenantID: principal.tenantID, keyExpiry: principal.expiry, expires: now.advanced(by: timeToLive))
        }
        return (principal.tenantID, principal.expiry)
    }

    /// Forgets every key (one was revoked, or notifications may have been missed).
    public func invalidateAll() {
        entries.forEach { $0.removeAll(keepingCapacity: true) }
    }
}
