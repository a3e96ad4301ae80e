import Bundle
import Glibc

/// One way a cached tree differs from its bundle, named by the path relative to the tree.
public struct TreeDifference: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The bundle has this entry; the tree has nothing there (or a parent is not a directory).
        case missing
        /// The tree has something else there: a link, a file for a directory or the reverse, a FIFO.
        case wrongType
        /// A regular file of another size.
        case size
        /// A regular file of the right size whose bytes differ.
        case content
        /// A regular file whose permission bits are not the 0755 / 0644 extraction gives it.
        case mode
        /// The tree has a name the bundle does not.
        case extra
    }

    /// Relative to the tree, e.g. `ui/index.html`.
    public let path: String
    public let kind: Kind
    /// What differs, e.g. "differs from the bundle's at byte 5".
    public let detail: String

    public var description: String { "\(path): \(detail)" }
}

/// What comparing one cached tree with its bundle found.
///
/// Invariants: `differences` holds the first `differenceCount` findings up to the limit the
/// comparison was given, in archive order, then the extra names in walk order; the tree matches
/// exactly when `differenceCount` is 0.
public struct TreeComparison: Sendable {
    public let hash: ContentHash
    public let differences: [TreeDifference]
    public let differenceCount: Int
    /// Archive entries (files and directories) compared.
    public let entryCount: Int

    public var matches: Bool { differenceCount == 0 }

    /// The listed differences joined, then "and N more" for those only counted.
    public var summary: String {
        let listed = differences.map(\.description).joined(separator: "; ")
        let more = differenceCount - differences.count
        return more > 0 ? listed + "; and \(more) more" : listed
    }
}

/// Compares a complete cache tree with the bundle it was extracted from, read again as a stream:
/// catches a tree changed after its fill, which nothing else re-checks (the runner and nginx
/// trust the tree).
public enum CachedTreeComparison {
    /// Streams the bundle of `hash` from `source` and compares it, file by file and chunk by
    /// chunk, with `<root>/sha256/<hex>`; then walks the tree for names the bundle lacks.
    ///
    /// Read-only and lock-free, like `ContentCacheAudit`. Memory does not grow with the bundle's
    /// bytes (one read buffer; the archive's paths are kept to find extra names). Throws
    /// `hashMismatch` or `bundleInvalid` when the bytes are not the bundle of `hash` (the store
    /// object is bad, the tree is not judged), `sourceFailed` when reading fails (a missing object
    /// is `BundleStoreError.notFound` inside it), and `notPresent` when the tree is not there
    /// or left `sha256/` during the check (eviction), so a vanishing tree is never a mismatch.
    public static func compare(
        layout: ContentCacheLayout,
        hash: ContentHash,
        limits: TarLimits = .bundle,
        maxListed: Int = 5,
        source: ContentCache.ByteSource
    ) throws(ContentCacheError) -> TreeComparison {
        guard let trees = try CacheDirectory.openExisting(layout.treesPath),
              let tree = try subdirectory(hash.hex, of: trees)
        else { throw .notPresent(hash) }
        let visitor = TreeComparingVisitor(root: tree, maxListed: maxListed)
        let stream = BundleStream(visitor: visitor, limits: limits)
        try run(source, into: stream, visitor: visitor, hash: hash)
        let digest: BundleDigest
        do {
            digest = try stream.finish()
        } catch {
            throw visitor.failure ?? .bundleInvalid(hash, underlying: error)
        }
        guard digest.contentHash == hash else { throw .hashMismatch(expected: hash, actual: digest.contentHash) }
        try visitor.findExtraNames(in: tree, at: "")
        if visitor.differenceCount > 0, try trees.entry(hash.hex)?.kind != .directory { throw .notPresent(hash) }
        return TreeComparison(hash: hash, differences: visitor.differences, differenceCount: visitor.differenceCount, entryCount: visitor.entryCount)
    }

    /// Feeds `source` into `stream`: a source failure is `sourceFailed`, a stream error the
    /// tree's (`visitor.failure`) or else the bytes' (`bundleInvalid`).
    private static func run(_ source: ContentCache.ByteSource, into stream: BundleStream, visitor: TreeComparingVisitor, hash: ContentHash) throws(ContentCacheError) {
        do {
            try ContentCache.pump(source, hash, into: stream.feed)
        } catch {
            if let failure = visitor.failure { throw failure }
            if let error = error as? ContentCacheError, case .sourceFailed = error { throw error }
            throw .bundleInvalid(hash, underlying: error)
        }
    }

    /// The subdirectory `name`, or nil when it is missing or not a directory (a link included).
    static func subdirectory(_ name: String, of directory: CacheDirectory) throws(ContentCacheError) -> CacheDirectory? {
        do {
            return try directory.openDirectory(name)
        } catch {
            if case .io(_, _, let number) = error, number == ENOTDIR || number == ELOOP { return nil }
            throw error
        }
    }
}

/// The tar visitor of `CachedTreeComparison`: checks each archive entry against the tree as it
/// arrives, and remembers the archive's paths for the walk that finds extra names.
///
/// Invariants: never follows a link (every directory is opened component by component with
/// O_NOFOLLOW, files with O_NOFOLLOW and checked on the descriptor); at most one file is open;
/// one difference per path; `failure` is set to the first file-system error it threw, so the
/// caller can tell it from an archive error.
final class TreeComparingVisitor: TarVisitor {
    /// Read in pieces of this size, whatever size the archive data arrives in.
    private static let bufferBytes = 64 << 10

    private let root: CacheDirectory
    private let maxListed: Int
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferBytes, alignment: 16)
    /// Every path of the archive, parents that only appear in other paths included. Keyed by
    /// the UTF-8 bytes: `String` equality is canonical equivalence, so an added name in another
    /// Unicode normalization would otherwise pass for the archive's.
    private var expected: [[UInt8]: TarEntry.Kind] = [[]: .directory]
    /// The parent directory of the latest entry (nil: it is not a directory in the tree).
    private var cachedParent: (path: String, directory: CacheDirectory?)?
    /// The file being compared, its path in the tree and how many of its bytes matched so far.
    private var openFile: (file: CacheFile, path: String, compared: Int)?

    private(set) var differences: [TreeDifference] = []
    private(set) var differenceCount = 0
    private(set) var entryCount = 0
    private(set) var failure: ContentCacheError?

    init(root: CacheDirectory, maxListed: Int) {
        self.root = root
        self.maxListed = maxListed
    }

    deinit { buffer.deallocate() }

    func beginEntry(_ entry: TarEntry) throws {
        entryCount += 1
        try recordingFailure { () throws(ContentCacheError) in try check(entry) }
    }

    func entryData(_ bytes: UnsafeRawBufferPointer) throws {
        try recordingFailure { () throws(ContentCacheError) in try compare(bytes) }
    }

    func endEntry(_ entry: TarEntry) throws {
        try recordingFailure { () throws(ContentCacheError) in
            guard let (file, _, compared) = openFile else { return }
            openFile = nil
            // The size was right at the start; a file that grew since is still a difference.
            if try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<1])) > 0 {
                record(.size, entry.path, "longer than the bundle's \(compared) bytes")
            }
        }
    }

    /// Reports every name below `directory` (at `path` in the tree) that the archive does not
    /// have, descending only into directories the archive has; an extra directory is one finding.
    func findExtraNames(in directory: CacheDirectory, at path: String) throws(ContentCacheError) {
        for (name, isUTF8) in try directory.namesForAudit().sorted(by: { $0.name < $1.name }) {
            let child = path.isEmpty ? name : path + "/" + name
            guard isUTF8, let kind = expected[Array(child.utf8)] else {
                record(.extra, child, "not in the bundle" + (isUTF8 ? "" : " (a name that is not UTF-8)"))
                continue
            }
            if kind == .directory, let subdirectory = try CachedTreeComparison.subdirectory(name, of: directory) {
                try findExtraNames(in: subdirectory, at: child)
            }
        }
    }

    private func check(_ entry: TarEntry) throws(ContentCacheError) {
        let (parentPath, name) = Self.split(entry.path)
        remember(entry)
        guard let parent = try directory(at: parentPath) else {
            return record(.missing, entry.path, "missing (a parent is missing or not a directory)")
        }
        guard let found = try parent.entry(name) else { return record(.missing, entry.path, "missing") }
        switch (entry.kind, found.kind) {
        case (.directory, .directory):
            return
        case (.directory, _), (.file, .directory), (.file, .symlink), (.file, .other):
            return record(.wrongType, entry.path, "\(Self.describe(found.kind)), the bundle has a \(entry.kind == .file ? "regular file" : "directory")")
        case (.file, .regular):
            break
        }
        let mode: UInt32 = entry.isExecutable ? 0o755 : 0o644
        guard found.size == entry.size else { return record(.size, entry.path, "\(found.size) bytes, the bundle's has \(entry.size)") }
        guard found.permissions == mode else {
            return record(.mode, entry.path, "mode \(Self.octal(found.permissions)), extraction gives it \(Self.octal(mode))")
        }
        guard let file = try parent.openRegularFile(name) else { return record(.wrongType, entry.path, "no longer a regular file") }
        openFile = (file, entry.path, 0)
    }

    /// Compares the next archive bytes with the next bytes of the open file.
    private func compare(_ bytes: UnsafeRawBufferPointer) throws(ContentCacheError) {
        guard let (file, path, compared) = openFile else { return }
        var offset = 0
        while offset < bytes.count {
            let count = min(buffer.count, bytes.count - offset)
            let read = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
            let archive = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
            if read > 0, memcmp(buffer.baseAddress!, archive.baseAddress!, read) != 0 {
                let first = (0..<read).first { buffer[$0] != archive[$0] } ?? 0
                openFile = nil
                return record(.content, path, "differs from the bundle's at byte \(compared + offset + first)")
            }
            if read < count {
                // The size was right at the start: the file shrank during the check.
                openFile = nil
                return record(.size, path, "ends at byte \(compared + offset + read), the bundle's has \(bytes.count - offset - read) more")
            }
            offset += count
        }
        openFile = (file, path, compared + bytes.count)
    }

    private func remember(_ entry: TarEntry) {
        expected[Array(entry.path.utf8)] = entry.kind
        // StagingTreeWriter creates parents an archive does not list; they are not extra names.
        var parent = Self.split(entry.path).parent
        while !parent.isEmpty, expected[Array(parent.utf8)] == nil {
            expected[Array(parent.utf8)] = .directory
            parent = Self.split(parent).parent
        }
    }

    private func record(_ kind: TreeDifference.Kind, _ path: String, _ detail: String) {
        differenceCount += 1
        if differences.count < maxListed { differences.append(TreeDifference(path: path, kind: kind, detail: detail)) }
    }

    /// The directory at `path` below the root, opened one component at a time; nil when a
    /// component is missing or not a directory.
    private func directory(at path: String) throws(ContentCacheError) -> CacheDirectory? {
        if path.isEmpty { return root }
        if let cachedParent, cachedParent.path == path { return cachedParent.directory }
        var current: CacheDirectory? = root
        for component in path.split(separator: "/") {
            guard let directory = current else { break }
            current = try CachedTreeComparison.subdirectory(String(component), of: directory)
        }
        cachedParent = (path, current)
        return current
    }

    /// Runs `body`, keeping the file-system error it throws so the caller can tell it from the
    /// archive errors that come out of the same `BundleStream.feed`.
    private func recordingFailure(_ body: () throws(ContentCacheError) -> Void) throws {
        do {
            try body()
        } catch {
            failure = failure ?? error
            throw error
        }
    }

    private static func describe(_ kind: CacheDirectory.Entry.Kind) -> String {
        switch kind {
        case .directory: "a directory"
        case .regular: "a regular file"
        case .symlink: "a symbolic link"
        case .other: "not a regular file or directory"
        }
    }

    private static func octal(_ mode: UInt32) -> String { "0" + String(mode, radix: 8) }

    private static func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }
}
