import Bundle
import Execution

/// Pulls the wasm entry a manifest names out of a bundle pushed in chunks, through the same
/// zstd + tar pipeline (and safety rules) that scanned it.
///
/// Invariants: memory is fixed apart from the module, which is at most `maxBytes` (an entry
/// declared larger is refused from its tar header, before any of its bytes are kept); unless
/// `readsToEnd`, reading stops right after the entry's last byte, and then `finish()` does not
/// know the bundle's digest.
public final class EntryModuleReader {
    private let collector: TarFileCollector
    private let stream: BundleStream
    private let readsToEnd: Bool
    private var done = false

    /// - Parameter readsToEnd: keep reading after the entry so that `finish()` can return the
    ///   digest of every byte fed (to prove they are the bytes verified earlier).
    public init(entry: String, maxBytes: Int = WasmEngine.maxModuleBytes, readsToEnd: Bool = false, limits: TarLimits = .bundle) {
        collector = TarFileCollector(path: entry, maxBytes: maxBytes, stopsAtFile: !readsToEnd) { size in
            ExecutionError.moduleInvalid([ModuleCheck.oversizeProblem(entry: entry, size: size, limit: maxBytes)])
        }
        stream = BundleStream(visitor: collector, limits: limits)
        self.readsToEnd = readsToEnd
    }

    /// Feeds bundle bytes; returns false once nothing more is needed (later input is ignored).
    @discardableResult
    public func feed(_ bytes: UnsafeRawBufferPointer) throws -> Bool {
        guard !done else { return false }
        do {
            try stream.feed(bytes)
        } catch is TarFileCollector.Found {
            done = true
        }
        return !done
    }

    /// The entry's bytes (nil when the bundle has no such file) and, when reading to the end,
    /// the digest of the bundle; a truncated or corrupt bundle throws its archive error.
    public func finish() throws -> (module: [UInt8]?, digest: BundleDigest?) {
        if done { return (collector.file, nil) }
        let digest = try stream.finish()
        return (collector.file, readsToEnd ? digest : nil)
    }
}
