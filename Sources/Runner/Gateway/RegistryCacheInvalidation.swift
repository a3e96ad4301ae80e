import JSON
import Registry

/// A per-process cache that can forget everything it holds.
public protocol FlushableCache: Sendable {
    func invalidateAll()
}

/// A per-process cache whose entries belong to one tenant each.
public protocol TenantScopedCache: FlushableCache {
    func invalidate(tenantID: String)
}

extension TargetCache: TenantScopedCache {}
extension VerifiedKeyCache: FlushableCache {}

/// What a registry notification means for a worker's caches, apart from how it arrives (the
/// listening thread is `RegistryChangeListener`), so that every node drops exactly what another
/// node changed.
///
/// Invariants: an install change (`exthost_installs`) drops the entries of the tenant it names,
/// or every target when the payload names none; a key revocation drops every verified key (the
/// payload is a key id, and entries are keyed by digest); a notification on any other channel
/// drops everything; a lost or new session (`sessionChanged`) drops everything, because what
/// was announced while nobody listened is gone. Together with each cache's own maximum age
/// (`TargetCache.defaultTimeToLive`, `VerifiedKeyCache.defaultTimeToLive`) this bounds staleness
/// even when a notification is lost.
public struct RegistryCacheInvalidation: Sendable {
    /// The channels whose notifications concern these caches.
    public static let channels = [InstallNotification.channel, APIKeyStore.revocationChannel]

    let targets: any TenantScopedCache
    let keys: any FlushableCache

    public init(targets: any TenantScopedCache, keys: any FlushableCache) {
        self.targets = targets
        self.keys = keys
    }

    /// The listening session was (re)established or lost: notifications may have been missed.
    public func sessionChanged() {
        targets.invalidateAll()
        keys.invalidateAll()
    }

    /// One notification, as `PostgresListener` delivered it.
    public func apply(channel: String, payload: String) {
        switch channel {
        case InstallNotification.channel:
            guard let parsed = try? JSONValue.parse(payload), let tenantID = parsed["tenantId"]?.stringValue else {
                targets.invalidateAll()
                return
            }
            targets.invalidate(tenantID: tenantID)
        case APIKeyStore.revocationChannel:
            keys.invalidateAll()
        default:
            sessionChanged()
        }
    }
}
