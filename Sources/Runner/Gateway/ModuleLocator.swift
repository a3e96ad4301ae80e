import Bundle
import ContentCache
import ExthostCore
import Glibc

/// Finds a version's module file, `<tree of its content hash>/<entry>`, in this node's cache
/// tree, asking cachefill to fill the tree on a miss.
///
/// Invariants: the returned path is a regular file (checked with `lstat`, so a link is never
/// followed); a fill waits at most until the request's deadline.
public struct ModuleLocator: Sendable {
    let layout: ContentCacheLayout
    let filler: any TreeFiller

    public init(layout: ContentCacheLayout, filler: any TreeFiller) {
        self.layout = layout
        self.filler = filler
    }

    /// The module's path; throws `GatewayError.extensionNotAvailable` when cachefill says the
    /// pair is not enabled, and cachefill's own typed errors (timeout, unavailable) otherwise.
    public func modulePath(contentHash: String, entry: String, reference: String, deadline: ContinuousClock.Instant) throws -> String {
        guard let hash = ContentHash(parsing: contentHash) else { throw GatewayError.extensionNotAvailable(reference) }
        let path = layout.treePath(hash) + "/" + entry
        if Self.isRegularFile(path) { return path }
        let remaining = deadline - ContinuousClock.now
        do {
            _ = try filler.fill(hash, timeout: max(remaining, .milliseconds(1)))
        } catch let error as any HTTPError where error.status == .notFound {
            // cachefill's registry check disagreeing with ours (a disable just committed) is still "not here".
            throw GatewayError.extensionNotAvailable(reference)
        }
        guard Self.isRegularFile(path) else { throw GatewayError.moduleMissing(entry: entry) }
        return path
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }
}
