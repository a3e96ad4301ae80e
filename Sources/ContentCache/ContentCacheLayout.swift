import Bundle

/// Where things live below a cache root (DESIGN §6), for the owner of the cache and for the
/// processes that only read it (the runner, nginx's configuration).
///
/// ```
/// sha256/<hex>/manifest.json, dist/…, ui/…     complete trees only
/// ext-ui/<extensionId>/<hex> -> ../../sha256/<hex>/ui
/// tmp/                                           staging; emptied when the owner opens the cache
/// ```
///
/// Invariants: `root` has no trailing slash; every path it hands out is built from a canonical
/// content hash and, for links, a canonical lowercase uuid, so no name can climb out of the tree.
public struct ContentCacheLayout: Sendable, Hashable {
    public static let treesDirectory = "sha256"
    public static let linksDirectory = "ext-ui"
    public static let stagingDirectory = "tmp"
    /// The directory of a tree that `ext-ui` links point to.
    public static let uiDirectory = "ui"

    public let root: String

    public init(root: String) {
        var root = root
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    public var treesPath: String { root + "/" + Self.treesDirectory }
    public var linksPath: String { root + "/" + Self.linksDirectory }
    public var stagingPath: String { root + "/" + Self.stagingDirectory }

    /// `<root>/sha256/<hex>`, the complete extracted tree of `hash`.
    public func treePath(_ hash: ContentHash) -> String { treesPath + "/" + hash.hex }

    /// `<root>/ext-ui/<extensionId>/<hex>`, the link nginx serves the extension's UI from.
    public func uiLinkPath(extensionID: String, hash: ContentHash) throws(ContentCacheError) -> String {
        linksPath + "/" + (try Self.extensionID(extensionID)) + "/" + hash.hex
    }

    /// What an `ext-ui` link contains: relative, so the cache root can move or be bind-mounted.
    public static func uiLinkTarget(_ hash: ContentHash) -> String {
        "../../" + treesDirectory + "/" + hash.hex + "/" + uiDirectory
    }

    /// `text` when it is a canonical uuid (8-4-4-4-12 lowercase hex digits); anything else,
    /// uppercase included, is refused rather than normalized, because it becomes a path component.
    public static func extensionID(_ text: String) throws(ContentCacheError) -> String {
        let bytes = Array(text.utf8)
        let dashes: Set = [8, 13, 18, 23]
        let canonical = bytes.count == 36 && bytes.indices.allSatisfy { index in
            dashes.contains(index) ? bytes[index] == UInt8(ascii: "-") : isLowercaseHexDigit(bytes[index])
        }
        guard canonical else { throw .invalidID(kind: "extension id (lowercase uuid)", value: text) }
        return text
    }

    /// Parses `sha256:<64 lowercase hex>` or the bare 64 hex digits (a directory name).
    public static func contentHash(_ text: String) throws(ContentCacheError) -> ContentHash {
        let prefixed = text.hasPrefix("sha256:") ? text : "sha256:" + text
        guard let hash = ContentHash(parsing: prefixed) else {
            throw .invalidID(kind: "content hash (sha256:<64 lowercase hex>)", value: text)
        }
        return hash
    }

    private static func isLowercaseHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
