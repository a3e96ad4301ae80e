import Bundle
import Synchronization

/// The per-node content-hash tree that nginx and the runner read (DESIGN §6, §8): fills trees
/// from streamed bundle bytes, links enabled extensions' UI, accounts for size and evicts the
/// least recently used treeRoot.
///
/// Invariants: one owner per root, enforced by an `flock` on the root held while the value
/// lives (so cleaning `tmp/` at open never deletes another process's staging); a name under
/// `sha256/` only ever refers to a complete, verified tree; an `ext-ui` name only ever refers
/// to a whole link; at most one fill per hash runs at a time; link and removal changes happen
/// under the state lock, so a link is never created for a tree being removed.
public final class ContentCache: Sendable {
    public let layout: ContentCacheLayout
    let treeRoot: CacheDirectory
    let linkRoot: CacheDirectory
    let stagingRoot: CacheDirectory
    let limits: TarLimits
    /// fsync trees, links and renames; off only where durability does not matter (tests).
    let synchronizes: Bool
    let state: Mutex<CacheState>
    /// Holds the owner lock for the life of the value.
    private let root: CacheDirectory

    /// Opens (creating when missing) the cache at `root` as its only owner: takes the lock,
    /// empties `tmp/` and adds up the size of every tree.
    public init(root path: String, limits: TarLimits = .bundle, synchronizes: Bool = true) throws(ContentCacheError) {
        layout = ContentCacheLayout(root: path)
        root = try CacheDirectory.openCreatingParents(layout.root)
        guard try root.lockExclusively() else { throw .locked(root: layout.root) }
        self.limits = limits
        self.synchronizes = synchronizes
        stagingRoot = try root.openOrCreateDirectory(ContentCacheLayout.stagingDirectory)
        // Whatever is here was left by a crash: half-extracted bundles, half-made links, removed treeRoot.
        try stagingRoot.removeAllEntries()
        treeRoot = try root.openOrCreateDirectory(ContentCacheLayout.treesDirectory)
        linkRoot = try root.openOrCreateDirectory(ContentCacheLayout.linksDirectory)
        var state = CacheState()
        for name in try treeRoot.names() {
            guard let hash = try? ContentCacheLayout.contentHash(name),
                  let entry = try treeRoot.entry(name), entry.kind == .directory
            else { continue }
            state.insert(CachedTree(hash: hash, bytes: try treeRoot.treeBytes(name), lastUsed: entry.modified))
        }
        self.state = Mutex(state)
    }

    /// Bytes of all complete trees (regular files' sizes).
    public func usage() -> Int { state.withLock { $0.usage } }

    /// Every complete tree, least recently used first.
    public func cachedTrees() -> [CachedTree] { state.withLock { $0.leastRecentlyUsedFirst() } }

    /// `<root>/sha256/<hex>` when the tree of `hash` is complete and still on disk, else nil.
    public func path(of hash: ContentHash) -> String? {
        state.withLock { confirmedTree(hash, in: &$0) } == nil ? nil : layout.treePath(hash)
    }

    /// Records a use of `hash` for the eviction order; false when the tree is not in the cache.
    @discardableResult
    public func touch(_ hash: ContentHash) -> Bool {
        guard let time = state.withLock({ $0.markUsed(hash) }) else { return false }
        // Only so the order survives a restart: failing (the tree was just removed) loses nothing.
        try? treeRoot.setModificationTime(hash.hex, nanoseconds: time)
        return true
    }

    /// The tree of `hash` if the state knows it and it is still on disk; a tree deleted behind
    /// the cache's back is forgotten, so that it is filled again. The caller holds the lock.
    func confirmedTree(_ hash: ContentHash, in state: inout CacheState) -> CachedTree? {
        guard let tree = state.trees[hash] else { return nil }
        let entry: CacheDirectory.Entry?
        do {
            entry = try treeRoot.entry(hash.hex)
        } catch {
            return tree  // A failing stat says nothing about the tree: trust the state.
        }
        guard entry?.kind == .directory else {
            state.remove(hash)
            return nil
        }
        return tree
    }

    /// A name for something new in `tmp/`, unique among concurrent and earlier ones.
    func stagingName(_ purpose: String) -> String {
        purpose + "-" + String(UInt64.random(in: .min ... .max), radix: 16)
    }
}
