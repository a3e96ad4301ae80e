import Bundle
import Execution
import Glibc

/// The publish-time check of a bundle's wasm entry against exthost-wasm@1 (DESIGN §7): the
/// module parses, every function body validates, imports come only from `exthost` and
/// `wasi_snapshot_preview1` with the ABI's signatures, and `memory`, `exthost_alloc` and each
/// endpoint's handler are exported with the ABI's types.
///
/// Finalize, `exthost pack`, `sign`, `publish` and `verify` all run it, so what the CLI accepts
/// the server accepts. It applies only to bundles that run something: runtime `exthost-wasm@1`
/// with at least one endpoint (docs/manifest.md: the entry is required exactly then); a
/// UI-only extension has no module to check. Every failure is `ExecutionError.moduleInvalid`
/// (422 `MODULE_INVALID`), one sentence per problem.
public enum ModuleCheck {
    /// Whether `manifest` names a module that must pass the check.
    public static func applies(to manifest: Manifest) -> Bool {
        manifest.runtime == Manifest.supportedRuntime && manifest.requiresEntry
    }

    /// Validates `wasm` (what `EntryModuleReader` found; nil when the bundle lacks the file) as
    /// the entry of `manifest`, whose endpoints' handlers it must export.
    public static func check(_ wasm: [UInt8]?, manifest: Manifest) throws(ExecutionError) {
        guard let wasm else { throw .moduleInvalid(["entry \(manifest.entry): the bundle has no such file"]) }
        try WasmEngine.validate(wasm, handlers: manifest.endpoints.map(\.handler))
    }

    /// Streams the bundle file at `path` (fixed-size reads, stopping after the entry) and checks
    /// its entry; does nothing when the check does not apply to `manifest`.
    public static func check(bundleFile path: String, manifest: Manifest) throws {
        guard applies(to: manifest) else { return }
        let reader = EntryModuleReader(entry: manifest.entry)
        try forEachChunk(ofFile: path) { try reader.feed($0) }
        try check(reader.finish().module, manifest: manifest)
    }

    static func oversizeProblem(entry: String, size: Int, limit: Int) -> String {
        let shown = limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit) bytes"
        return "entry \(entry): \(size) bytes, over the \(shown) limit for a module"
    }

    /// Hands the file's bytes to `body` in `BundleReader.readChunkSize` pieces from one buffer
    /// until the file ends or `body` returns false.
    private static func forEachChunk(ofFile path: String, _ body: (UnsafeRawBufferPointer) throws -> Bool) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError("open", path: path, errorNumber: errno) }
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: BundleReader.readChunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw FileSystemError("read", path: path, errorNumber: errno) }
            guard count > 0, try body(UnsafeRawBufferPointer(rebasing: buffer[..<count])) else { return }
        }
    }
}
