/// A tar visitor that keeps what a bundle check needs: the entry list and the bytes of
/// `manifest.json` at the root.
///
/// Invariants: holds at most `maxManifestBytes` of manifest; when `stopsAtManifest`, it throws
/// `TarFileCollector.Found` right after the manifest's last byte so the caller can stop reading.
final class BundleInventory: TarVisitor {
    static let manifestPath = "manifest.json"

    let recordsEntries: Bool
    private let manifestCollector: TarFileCollector
    private(set) var entries: [TarEntry] = []
    var manifest: [UInt8]? { manifestCollector.file }

    init(recordsEntries: Bool, stopsAtManifest: Bool, maxManifestBytes: Int) {
        self.recordsEntries = recordsEntries
        manifestCollector = TarFileCollector(path: Self.manifestPath, maxBytes: maxManifestBytes, stopsAtFile: stopsAtManifest) { _ in
            ArchiveError.manifestTooLarge(limit: maxManifestBytes)
        }
    }

    func beginEntry(_ entry: TarEntry) throws {
        if recordsEntries { entries.append(entry) }
        try manifestCollector.beginEntry(entry)
    }

    func entryData(_ bytes: UnsafeRawBufferPointer) throws {
        try manifestCollector.entryData(bytes)
    }

    func endEntry(_ entry: TarEntry) throws {
        try manifestCollector.endEntry(entry)
    }
}
