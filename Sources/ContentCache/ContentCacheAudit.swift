import Bundle
import Glibc

/// Something in a cache tree that breaks the layout's promises (see `ContentCacheAudit`).
public struct CacheAuditProblem: Sendable, Hashable {
    public enum Kind: String, Sendable {
        /// A name under `tmp/` older than the grace period: a fill or link that never finished
        /// and no owner cleaned up.
        case stagingLeftover = "CACHE_STAGING_LEFTOVER"
        /// A name under `sha256/` that is not a directory named by 64 lowercase hex digits.
        case strayTree = "CACHE_STRAY_TREE"
        /// A tree without its `manifest.json`: not what a finished extraction leaves.
        case incompleteTree = "CACHE_INCOMPLETE_TREE"
        /// A name under `ext-ui/` that is not `<extensionId>/<hex>` as a symbolic link.
        case strayLink = "CACHE_STRAY_LINK"
        /// A link whose target is not `../../sha256/<hex>/ui` of its own name's hash.
        case wrongLinkTarget = "CACHE_WRONG_LINK_TARGET"
        /// A link whose tree (or the tree's `ui/`) is not there: nginx would answer 404.
        case danglingLink = "CACHE_DANGLING_LINK"
    }

    public let kind: Kind
    /// Relative to the cache root, e.g. `ext-ui/<id>/<hex>`.
    public let path: String
    public let detail: String

    public init(kind: Kind, path: String, detail: String) {
        self.kind = kind
        self.path = path
        self.detail = detail
    }
}

/// What a read-only pass over a cache root found: its complete trees, its links, and whatever
/// is out of place.
///
/// Invariants: `trees` only holds hashes whose directory passed every check; a tree or link
/// with a problem is listed in `problems` instead; names under `tmp/` younger than the grace
/// period are counted in `stagingInFlight`, not reported, because a running fill owns them.
public struct ContentCacheAudit: Sendable {
    public private(set) var trees: [ContentHash] = []
    public private(set) var links: [UILink] = []
    public private(set) var stagingInFlight = 0
    public private(set) var problems: [CacheAuditProblem] = []

    /// Every finished extraction has it at the top of its tree.
    static let manifestName = "manifest.json"

    /// Inspects the cache at `layout.root` without opening it as its owner: it takes no lock,
    /// creates nothing and changes nothing, so it may run next to `exthost-cachefill`.
    /// `stagingGraceNanoseconds` is how old a `tmp/` entry may be before it counts as left over;
    /// `now` (nanoseconds since the epoch) defaults to the wall clock.
    public init(layout: ContentCacheLayout, stagingGraceNanoseconds: Int64, now: Int64? = nil) throws(ContentCacheError) {
        guard let root = try CacheDirectory.openExisting(layout.root) else {
            throw .io(operation: "open", path: layout.root, errorNumber: ENOENT)
        }
        if let staging = try root.openDirectory(ContentCacheLayout.stagingDirectory) {
            try auditStaging(staging, grace: stagingGraceNanoseconds, now: now ?? wallClockNanoseconds())
        }
        let treeRoot = try root.openDirectory(ContentCacheLayout.treesDirectory)
        if let treeRoot { try auditTrees(treeRoot) }
        if let linkRoot = try root.openDirectory(ContentCacheLayout.linksDirectory) {
            try auditLinks(linkRoot, treeRoot: treeRoot, layout: layout)
        }
    }

    private mutating func auditStaging(_ staging: CacheDirectory, grace: Int64, now: Int64) throws(ContentCacheError) {
        for name in try staging.names() {
            guard let entry = try staging.entry(name) else { continue }
            if now - entry.modified < grace {
                stagingInFlight += 1
            } else {
                problems.append(.init(kind: .stagingLeftover, path: ContentCacheLayout.stagingDirectory + "/" + name,
                                      detail: "left by a fill or link that did not finish; restarting exthost-cachefill removes it"))
            }
        }
    }

    private mutating func auditTrees(_ treeRoot: CacheDirectory) throws(ContentCacheError) {
        for name in try treeRoot.names().sorted() {
            let path = ContentCacheLayout.treesDirectory + "/" + name
            guard let hash = try? ContentCacheLayout.contentHash(name), name.utf8.count == 64,
                  try treeRoot.entry(name)?.kind == .directory
            else {
                problems.append(.init(kind: .strayTree, path: path, detail: "not a directory named by a content hash"))
                continue
            }
            guard try treeRoot.entry(name + "/" + Self.manifestName)?.kind == .regular else {
                problems.append(.init(kind: .incompleteTree, path: path, detail: "has no regular \(Self.manifestName)"))
                continue
            }
            trees.append(hash)
        }
    }

    private mutating func auditLinks(_ linkRoot: CacheDirectory, treeRoot: CacheDirectory?, layout: ContentCacheLayout) throws(ContentCacheError) {
        let complete = Set(trees)
        for extensionID in try linkRoot.names().sorted() {
            let directoryPath = ContentCacheLayout.linksDirectory + "/" + extensionID
            guard (try? ContentCacheLayout.extensionID(extensionID)) != nil, let directory = try CachedTreeComparison.subdirectory(extensionID, of: linkRoot) else {
                problems.append(.init(kind: .strayLink, path: directoryPath, detail: "not a directory named by a lowercase uuid"))
                continue
            }
            for name in try directory.names().sorted() {
                let path = directoryPath + "/" + name
                guard let hash = try? ContentCacheLayout.contentHash(name), name.utf8.count == 64,
                      try directory.entry(name)?.kind == .symlink
                else {
                    problems.append(.init(kind: .strayLink, path: path, detail: "not a symbolic link named by a content hash"))
                    continue
                }
                let target = try Self.linkTarget(layout.root + "/" + path)
                if target != ContentCacheLayout.uiLinkTarget(hash) {
                    problems.append(.init(kind: .wrongLinkTarget, path: path, detail: "points at \(target.debugDescription)"))
                } else if !complete.contains(hash) {
                    problems.append(.init(kind: .danglingLink, path: path, detail: "its tree sha256/\(hash.hex) is missing or incomplete"))
                } else if try treeRoot?.entry(hash.hex + "/" + ContentCacheLayout.uiDirectory)?.kind != .directory {
                    problems.append(.init(kind: .danglingLink, path: path, detail: "its tree has no \(ContentCacheLayout.uiDirectory)/ directory"))
                } else {
                    links.append(UILink(extensionID: extensionID, hash: hash))
                }
            }
        }
    }

    /// The text of the symbolic link at `path`; its parent was opened without following links.
    private static func linkTarget(_ path: String) throws(ContentCacheError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { throw .io(operation: "readlink", path: path, errorNumber: errno) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
