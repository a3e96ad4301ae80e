import Bundle
import CacheFill
import Registry

/// Answers whether some tenant has an extension enabled at a content hash (the registry).
///
/// Invariant: reads committed state only, so a disable is seen as soon as it commits.
public protocol EnabledPairLookup: Sendable {
    func isEnabled(extensionID: String, contentHash: String) throws -> Bool
}

/// Makes the tree of a content hash present on this node and returns its path (cachefill).
///
/// Invariants: returns only once the tree is complete under `sha256/<hex>`; blocks for at most
/// about `timeout`, then throws a typed `HTTPError` (a 404 status meaning "not enabled here").
public protocol TreeFiller: Sendable {
    func fill(_ hash: ContentHash, timeout: Duration) throws -> String
}

extension BundleDelivery: EnabledPairLookup {}

extension CacheFillClient: TreeFiller {}
