/// An object a store listing returned, as fsck sees it.
public struct ListedObject: Sendable, Hashable {
    public let key: String
    public let size: Int64
    /// Seconds since it was last modified; nil when the store's date could not be read.
    public let ageSeconds: Int64?

    public init(key: String, size: Int64, ageSeconds: Int64?) {
        self.key = key
        self.size = size
        self.ageSeconds = ageSeconds
    }
}

/// The read-only view of the bundle store `ConsistencyChecker` needs; the CLI adapts its
/// `BundleStore` to it, so the checks do not depend on one store and tests can fake one.
///
/// Invariants: nothing here writes; a failure to reach the store is thrown, never answered
/// as "missing", so an unreachable store cannot pass for an empty one.
public protocol ConsistencyObjectSource {
    /// The size of the canonical bundle object of `contentHash` (`sha256:<hex>`), nil when absent.
    func bundleSize(contentHash: String) throws -> Int64?
    /// Whether the canonical `manifest.json` of `contentHash` is there.
    func manifestExists(contentHash: String) throws -> Bool
    /// Every object under the canonical base with the content hash its key names (nil for a
    /// key exthost never writes), page by page.
    func listCanonical(_ visit: (ListedObject, _ contentHash: String?) throws -> Void) throws
    /// Every object under `staging/` with the upload id its key names (nil for a foreign key).
    func listStaging(_ visit: (ListedObject, _ uploadID: String?) throws -> Void) throws
}
