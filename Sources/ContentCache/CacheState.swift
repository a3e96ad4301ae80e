import Bundle

/// A complete tree in the cache.
public struct CachedTree: Sendable, Hashable {
    public let hash: ContentHash
    /// The sizes of the tree's regular files, added up.
    public let bytes: Int
    /// The last install or `touch`, in nanoseconds since the epoch. Kept in memory and written
    /// as the modification time of `sha256/<hex>`, which is read back when the cache is opened.
    public let lastUsed: Int64

    public init(hash: ContentHash, bytes: Int, lastUsed: Int64) {
        self.hash = hash
        self.bytes = bytes
        self.lastUsed = lastUsed
    }
}

/// What the cache knows in memory: its complete trees, their total size, the fills running.
///
/// Invariants: `usage` is the sum of `bytes` over `trees`; use times handed out by
/// `nextUseTime()` are strictly increasing and later than every time loaded from disk, so two
/// trees never tie and a touched tree is always newer than an untouched one.
struct CacheState {
    private(set) var trees: [ContentHash: CachedTree] = [:]
    private(set) var usage = 0
    var fills: [ContentHash: PendingFill] = [:]
    private var latestUseTime: Int64 = 0

    mutating func insert(_ tree: CachedTree) {
        remove(tree.hash)
        trees[tree.hash] = tree
        usage += tree.bytes
        latestUseTime = max(latestUseTime, tree.lastUsed)
    }

    @discardableResult
    mutating func remove(_ hash: ContentHash) -> CachedTree? {
        guard let tree = trees.removeValue(forKey: hash) else { return nil }
        usage -= tree.bytes
        return tree
    }

    /// Records a use of `hash` now and returns its time; nil when the tree is unknown.
    mutating func markUsed(_ hash: ContentHash) -> Int64? {
        guard let tree = trees[hash] else { return nil }
        let time = nextUseTime()
        trees[hash] = CachedTree(hash: hash, bytes: tree.bytes, lastUsed: time)
        return time
    }

    mutating func nextUseTime() -> Int64 {
        latestUseTime = max(wallClockNanoseconds(), latestUseTime + 1)
        return latestUseTime
    }

    /// Eviction order: oldest use first, the hash breaking ties between times read from disk.
    func leastRecentlyUsedFirst() -> [CachedTree] {
        trees.values.sorted { ($0.lastUsed, $0.hash) < ($1.lastUsed, $1.hash) }
    }
}
