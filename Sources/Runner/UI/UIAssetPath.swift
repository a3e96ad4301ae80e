import Bundle
import ContentCache
import ExthostCore

/// A public extension-UI URL path, `/ext-ui/<extension uuid>/<64-hex content hash>/<path>`,
/// parsed strictly so that its file can be looked up in the content-hash tree.
///
/// Invariants: `extensionID` is a canonical lowercase uuid and `hash` a canonical content hash,
/// both spelled literally in the URL (no percent-encoding); every element of `segments` is a
/// percent-decoded, non-empty file name other than `.` and `..`, holding no `/`, `\` or control
/// character. Only a trailing `/` may leave an empty segment, and it makes `isDirectory` true.
/// So no parsed path can name anything outside the tree's `ui/` directory.
public struct UIAssetPath: Sendable, Hashable {
    /// The public location nginx serves from the `ext-ui/` links.
    public static let publicPrefix = "/ext-ui/"
    /// Bounds that keep a hostile URL from costing more than a short walk through the tree.
    public static let maxSegmentBytes = 255
    public static let maxSegments = 32

    public let extensionID: String
    public let hash: ContentHash
    /// The decoded file names below `ui/`, outermost first; empty for the UI root.
    public let segments: [String]
    /// The URL ends with `/`: it names a directory, served by its `index.html`.
    public let isDirectory: Bool

    /// Parses `path` as sent by the client (still percent-encoded, without the query).
    public init(requestPath path: String) throws(UIMissError) {
        guard path.hasPrefix(Self.publicPrefix) else { throw .invalidPath(reason: "it does not start with \(Self.publicPrefix)") }
        let parts = path.dropFirst(Self.publicPrefix.count).split(separator: "/", omittingEmptySubsequences: false)
        // <extension>/<hash>/ at least: the bare /ext-ui/<ext>/<hash> has no base for relative links.
        guard parts.count >= 3 else { throw .invalidPath(reason: "it has no path after the content hash") }
        guard parts.count - 2 <= Self.maxSegments else { throw .invalidPath(reason: "it is more than \(Self.maxSegments) levels deep") }
        do {
            extensionID = try ContentCacheLayout.extensionID(String(parts[0]))
        } catch {
            throw .invalidPath(reason: "the extension id is not a lowercase uuid")
        }
        // The layout also takes `sha256:<hex>`, but the URL carries the bare directory name only.
        guard parts[1].utf8.count == 64, let hash = try? ContentCacheLayout.contentHash(String(parts[1])) else {
            throw .invalidPath(reason: "the content hash is not 64 lowercase hex digits")
        }
        self.hash = hash
        let names = parts.dropFirst(2)
        isDirectory = names.last?.isEmpty ?? false
        segments = try (isDirectory ? names.dropLast() : names).map(Self.fileName)
    }

    /// The decoded file name of one raw segment, refused when it could step out of its directory.
    private static func fileName(_ raw: Substring) throws(UIMissError) -> String {
        guard !raw.isEmpty else { throw .invalidPath(reason: "it has an empty segment (//)") }
        guard let name = PercentDecoding.decode(raw, plusIsSpace: false) else {
            throw .invalidPath(reason: "a segment is not valid percent-encoded UTF-8")
        }
        guard name != ".", name != ".." else { throw .invalidPath(reason: "it has a . or .. segment") }
        guard name.utf8.count <= maxSegmentBytes else { throw .invalidPath(reason: "a segment is longer than \(maxSegmentBytes) bytes") }
        let forbidden = name.utf8.contains { byte in
            byte == UInt8(ascii: "/") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte == 0x7F
        }
        guard !forbidden else { throw .invalidPath(reason: "a segment holds an encoded /, \\ or control character") }
        return name
    }
}
