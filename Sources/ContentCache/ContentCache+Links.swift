import Bundle
import Synchronization

/// An `ext-ui` link: the UI of the bundle `hash` served for the extension `extensionID`.
public struct UILink: Sendable, Hashable, Comparable {
    /// A canonical lowercase uuid.
    public let extensionID: String
    public let hash: ContentHash

    public init(extensionID: String, hash: ContentHash) {
        self.extensionID = extensionID
        self.hash = hash
    }

    public static func < (lhs: UILink, rhs: UILink) -> Bool {
        (lhs.extensionID, lhs.hash) < (rhs.extensionID, rhs.hash)
    }
}

extension ContentCache {
    /// Creates (or atomically replaces) `ext-ui/<extensionID>/<hex>` → `../../sha256/<hex>/ui`
    /// and returns its path. The tree must be present and have a `ui/` directory.
    @discardableResult
    public func link(extensionID: String, hash: ContentHash) throws(ContentCacheError) -> String {
        let extensionID = try ContentCacheLayout.extensionID(extensionID)
        try state.withLock { (state: inout CacheState) throws(ContentCacheError) in
            guard confirmedTree(hash, in: &state) != nil else { throw .notPresent(hash) }
            guard try treeRoot.entry(hash.hex + "/" + ContentCacheLayout.uiDirectory)?.kind == .directory else {
                throw .noUI(hash)
            }
            let directory = try linkRoot.openOrCreateDirectory(extensionID)
            // Made in tmp/ and renamed into place, so the link's name never refers to a half-made
            // link; a crash in between leaves only the temporary, which the next open removes.
            let temporary = stagingName("link")
            try stagingRoot.createSymbolicLink(temporary, target: ContentCacheLayout.uiLinkTarget(hash))
            do throws(ContentCacheError) {
                try stagingRoot.rename(temporary, to: directory, hash.hex)
            } catch {
                _ = try? stagingRoot.removeEntry(temporary)
                throw error
            }
            if synchronizes { try directory.sync() }
        }
        return try layout.uiLinkPath(extensionID: extensionID, hash: hash)
    }

    /// Removes `ext-ui/<extensionID>/<hex>` (and the extension's directory once empty); false
    /// when there was no such link.
    @discardableResult
    public func unlink(extensionID: String, hash: ContentHash) throws(ContentCacheError) -> Bool {
        let extensionID = try ContentCacheLayout.extensionID(extensionID)
        return try state.withLock { _ throws(ContentCacheError) in try removeLink(extensionID: extensionID, hex: hash.hex) }
    }

    /// Every link whose names are canonical, sorted; a link whose tree is gone is listed too
    /// (check `path(of:)`), so a reconcile can repair or remove it.
    public func links() throws(ContentCacheError) -> [UILink] {
        try state.withLock { _ throws(ContentCacheError) in
            var result: [UILink] = []
            for extensionID in try linkDirectoryNames() {
                guard let directory = try linkRoot.openDirectory(extensionID) else { continue }
                for name in try directory.names() {
                    guard let hash = try? ContentCacheLayout.contentHash(name),
                          try directory.entry(name)?.kind == .symlink
                    else { continue }
                    result.append(UILink(extensionID: extensionID, hash: hash))
                }
            }
            return result.sorted()
        }
    }

    /// The canonical extension ids that have a directory under `ext-ui/`. The caller holds the lock.
    func linkDirectoryNames() throws(ContentCacheError) -> [String] {
        try linkRoot.names().filter { name in
            (try? ContentCacheLayout.extensionID(name)) != nil && (try? linkRoot.entry(name))?.kind == .directory
        }
    }

    /// The caller holds the lock, so no `link` can be renaming into the directory being removed.
    func removeLink(extensionID: String, hex: String) throws(ContentCacheError) -> Bool {
        guard let directory = try linkRoot.openDirectory(extensionID), try directory.removeEntry(hex) else { return false }
        if synchronizes { try directory.sync() }
        try linkRoot.removeDirectoryIfEmpty(extensionID)
        return true
    }
}
