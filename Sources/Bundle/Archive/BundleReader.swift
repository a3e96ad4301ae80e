/// Everything a full check of a bundle learns: every entry passed the safety rules, the zstd
/// frame and the archive are complete, and the manifest exists.
public struct BundleScan: Sendable {
    public let digest: BundleDigest
    /// Entries in archive order (the root `./` excluded).
    public let entries: [TarEntry]
    /// The bytes of `manifest.json`, unparsed.
    public let manifest: [UInt8]
    /// Sum of the regular files' sizes.
    public let fileBytes: Int

    /// `sha256:<hex>` of the compressed bytes.
    public var contentHash: ContentHash { digest.contentHash }
    public var compressedSize: Int { digest.size }
}

/// Validates a whole bundle pushed in chunks and collects its entries and manifest (what
/// `verify` and `inspect` need).
///
/// Invariants: memory is fixed apart from the entry list (at most `limits.maxEntries` entries)
/// and the manifest (at most `BundleReader.maxManifestBytes`).
public final class BundleScanner {
    private let inventory: BundleInventory
    private let stream: BundleStream

    public init(limits: TarLimits = .bundle) {
        inventory = BundleInventory(recordsEntries: true, stopsAtManifest: false, maxManifestBytes: BundleReader.maxManifestBytes)
        stream = BundleStream(visitor: inventory, limits: limits)
    }

    public func feed(_ bytes: UnsafeRawBufferPointer) throws {
        try stream.feed(bytes)
    }

    public func finish() throws -> BundleScan {
        let digest = try stream.finish()
        guard let manifest = inventory.manifest else { throw ArchiveError.manifestMissing }
        return BundleScan(digest: digest, entries: inventory.entries, manifest: manifest, fileBytes: stream.fileBytes)
    }
}

/// Finds `manifest.json` in a bundle pushed in chunks, without reading further than its end.
///
/// Only the entries before the manifest are checked; use `BundleScanner` to validate a bundle.
public final class BundleManifestReader {
    private let inventory: BundleInventory
    private let stream: BundleStream

    public init(limits: TarLimits = .bundle) {
        inventory = BundleInventory(recordsEntries: false, stopsAtManifest: true, maxManifestBytes: BundleReader.maxManifestBytes)
        stream = BundleStream(visitor: inventory, limits: limits)
    }

    /// The manifest's bytes, once found.
    public var manifest: [UInt8]? { inventory.manifest }

    /// Feeds bundle bytes; returns true once the manifest has been read (further input is ignored).
    @discardableResult
    public func feed(_ bytes: UnsafeRawBufferPointer) throws -> Bool {
        guard manifest == nil else { return true }
        do {
            try stream.feed(bytes)
        } catch is TarFileCollector.Found {
            return true
        }
        return false
    }

    /// The manifest, or the reason there is none (`MANIFEST_MISSING`, or a truncated stream).
    public func finish() throws -> [UInt8] {
        if let manifest { return manifest }
        _ = try stream.finish()
        throw ArchiveError.manifestMissing
    }
}

/// Reading bundles stored in files.
public enum BundleReader {
    public static let maxManifestBytes = 1 << 20
    /// Bundle bytes are read in chunks of this size: memory does not grow with the file.
    public static let readChunkSize = 256 << 10

    /// Reads `manifest.json` from a bundle file, stopping as soon as it is complete.
    public static func readManifest(fromFile path: String, limits: TarLimits = .bundle) throws -> [UInt8] {
        let reader = BundleManifestReader(limits: limits)
        try File.open(path).forEachChunk(size: readChunkSize) { try !reader.feed($0) }
        return try reader.finish()
    }

    /// Validates a whole bundle file and returns its entries, manifest, hash and size.
    public static func scan(fromFile path: String, limits: TarLimits = .bundle) throws -> BundleScan {
        let scanner = BundleScanner(limits: limits)
        try File.open(path).forEachChunk(size: readChunkSize) {
            try scanner.feed($0)
            return true
        }
        return try scanner.finish()
    }

    /// The content hash and size of any file, read in fixed chunks: what an upload declares
    /// as `declaredHash`, without checking that the file is a bundle.
    public static func digest(ofFile path: String) throws -> BundleDigest {
        let digest = ContentDigest()
        try File.open(path).forEachChunk(size: readChunkSize) {
            digest.update($0)
            return true
        }
        return digest.finalize()
    }
}
