import Bundle
import Glibc
import Synchronization

/// What one `evict` call removed, and the usage it left.
public struct EvictionReport: Sendable {
    /// Every tree removed, in the order removed (least recently used first within each pass).
    public let evicted: [CachedTree]
    /// The pinned trees among them: removed only because usage was above the hard limit.
    public let evictedPinned: [CachedTree]
    public let usageBytes: Int
    /// Usage is still above `maxBytes`: the pinned trees alone need more room.
    public let aboveTarget: Bool
}

extension ContentCache {
    /// Removes the tree of `hash`: first its `ext-ui` links, then the tree, which leaves
    /// `sha256/` in one rename into `tmp/` and is deleted from there. False when not present.
    @discardableResult
    public func remove(_ hash: ContentHash) throws(ContentCacheError) -> Bool {
        let detached = try state.withLock { (state: inout CacheState) throws(ContentCacheError) in
            try detach(hash, from: &state)
        }
        guard let detached else { return false }
        stagingRoot.removeTree(detached)
        return true
    }

    /// Removes least recently used trees until usage is at most `maxBytes`, never a `pinned`
    /// one (the hashes of enabled installs). Only while usage is above `hardLimitBytes` (taken
    /// as at least `maxBytes`) do pinned trees go too, least recently used first, and only
    /// until usage is back under the hard limit; the report lists them separately.
    @discardableResult
    public func evict(maxBytes: Int, hardLimitBytes: Int, pinned: Set<ContentHash>) throws(ContentCacheError) -> EvictionReport {
        var detachedNames: [String] = []
        // Deleted after the lock is released, also when a later removal failed.
        defer { for name in detachedNames { stagingRoot.removeTree(name) } }
        return try state.withLock { (state: inout CacheState) throws(ContentCacheError) in
            let order = state.leastRecentlyUsedFirst()
            var evicted: [CachedTree] = []
            let passes = [(limit: maxBytes, pinnedPass: false), (limit: max(hardLimitBytes, maxBytes), pinnedPass: true)]
            for pass in passes {
                for tree in order where state.usage > pass.limit && pinned.contains(tree.hash) == pass.pinnedPass {
                    guard let name = try detach(tree.hash, from: &state) else { continue }
                    detachedNames.append(name)
                    evicted.append(tree)
                }
            }
            return EvictionReport(
                evicted: evicted, evictedPinned: evicted.filter { pinned.contains($0.hash) },
                usageBytes: state.usage, aboveTarget: state.usage > maxBytes)
        }
    }

    /// Removes the links to `hash`, moves its tree out of `sha256/` into `tmp/` under a fresh
    /// name and forgets it; returns that name for the caller to delete once it has released the
    /// lock, or nil when there was no tree. The caller holds the lock.
    private func detach(_ hash: ContentHash, from state: inout CacheState) throws(ContentCacheError) -> String? {
        if state.trees[hash] == nil, try treeRoot.entry(hash.hex) == nil { return nil }
        for extensionID in try linkDirectoryNames() {
            _ = try removeLink(extensionID: extensionID, hex: hash.hex)
        }
        let name = stagingName("removed")
        do throws(ContentCacheError) {
            try treeRoot.rename(hash.hex, to: stagingRoot, name)
        } catch {
            guard case .io(_, _, ENOENT) = error else { throw error }
            state.remove(hash)
            return nil
        }
        state.remove(hash)
        if synchronizes { try treeRoot.sync() }
        return name
    }
}
