import Bundle
import BundleStore
import ContentCache
import Registry

/// `exthost admin fsck --verify-contents`: compares every complete cache tree with its bundle,
/// streamed again from the store, and turns the outcome into findings.
///
/// Invariants: a tree is blamed (`CACHE_CONTENT_MISMATCH`) only when the store's bytes are the
/// bundle of its hash; a bad store object is its own finding; a store that cannot be read ends
/// the pass and marks the run as unable to check (fail closed).
struct CacheContentVerification {
    let store: any BundleStore
    let layout: ContentCacheLayout

    func verify(_ trees: [ContentHash], into report: inout ConsistencyReport) {
        var verified = 0
        defer { report.count("cache trees verified", verified) }
        for hash in trees {
            do {
                let key = store.canonicalBundleKey(hash: hash)
                let result = try CachedTreeComparison.compare(layout: layout, hash: hash) { sink in
                    try store.open(key, range: nil, sink: sink)
                }
                verified += 1
                if !result.matches {
                    report.add(.init(.error, code: "CACHE_CONTENT_MISMATCH", subject: hash.description, message: mismatchMessage(result)))
                }
            } catch {
                guard record(error, for: hash, into: &report) else { return }
            }
        }
    }

    /// Turns a comparison that could not judge the tree into a count, a finding or a failure;
    /// false when the pass must end (the store cannot be read).
    private func record(_ error: ContentCacheError, for hash: ContentHash, into report: inout ConsistencyReport) -> Bool {
        switch error {
        case .sourceFailed(_, let underlying):
            if case .notFound = underlying as? BundleStoreError {
                // The row check reports the missing object (MISSING_OBJECT); nothing to compare with.
                report.count("cache trees not verified (no stored bundle)")
                return true
            }
            report.fail("verifying cache tree \(hash): \(CLIError(underlying).description)")
            return false
        case .notPresent:
            // Evicted or removed since the audit listed it: nothing of it is served any more.
            report.count("cache trees not verified (removed during the check)")
        case .hashMismatch, .bundleInvalid:
            report.add(.init(.error, code: "OBJECT_CONTENT_MISMATCH", subject: hash.description,
                             message: "\(error.message); the cache tree was not compared. Restore the object from a backup"))
        default:
            report.fail("verifying cache tree \(hash): \(CLIError(error).description)")
        }
        return true
    }

    private func mismatchMessage(_ result: TreeComparison) -> String {
        let tree = layout.treePath(result.hash)
        return "the cache tree differs from its bundle (\(result.summary)). "
            + "Remove it, `rm -rf \(tree)`: exthost-cachefill fills it again from the store on its next reconcile or UI request"
    }
}
