/// A tar visitor that keeps what a bundle check needs: the entry list and the bytes of
/// `manifest.json` at the root.
///
/// Invariants: holds at most `maxManifestBytes` of manifest; when `stopsAtManifest`, it throws
/// `ManifestFound` right after the manifest's last byte so the caller can stop reading.
final class BundleInventory: TarVisitor {
    static let manifestPath = "manifest.json"

    /// Thrown to stop the pipeline early; never leaves the Archive layer.
    struct ManifestFound: Error {}

    let recordsEntries: Bool
    let stopsAtManifest: Bool
    let maxManifestBytes: Int
    private(set) var entries: [TarEntry] = []
    private(set) var manifest: [UInt8]?
    private var collecting: [UInt8]?

    init(recordsEntries: Bool, stopsAtManifest: Bool, maxManifestBytes: Int) {
        self.recordsEntries = recordsEntries
        self.stopsAtManifest = stopsAtManifest
        self.maxManifestBytes = maxManifestBytes
    }

    func beginEntry(_ entry: TarEntry) throws {
        if recordsEntries { entries.append(entry) }
        guard entry.kind == .file, entry.path == Self.manifestPath else { return }
        guard entry.size <= maxManifestBytes else { throw ArchiveError.manifestTooLarge(limit: maxManifestBytes) }
        collecting = []
        collecting?.reserveCapacity(entry.size)
    }

    func entryData(_ bytes: UnsafeRawBufferPointer) throws {
        collecting?.append(contentsOf: bytes)
    }

    func endEntry(_ entry: TarEntry) throws {
        guard let collected = collecting else { return }
        collecting = nil
        manifest = collected
        if stopsAtManifest { throw ManifestFound() }
    }
}
