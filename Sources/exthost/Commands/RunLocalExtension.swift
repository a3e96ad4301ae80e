import API
import Bundle
import Glibc

/// The extension `exthost run` executes: its manifest and a module file, from a packed bundle or
/// from a project directory after its build.
///
/// Invariants: the manifest passed the same validation as at finalize; `modulePath` names a
/// readable file (for a bundle, a private temporary copy of its entry that `close()` removes);
/// `contentHash` is the bundle's hash, or all zeros for a directory, which has none.
final class RunLocalExtension {
    static let directoryContentHash = "sha256:" + String(repeating: "0", count: 64)

    let manifest: Manifest
    let modulePath: String
    let contentHash: String
    private let temporaryDirectory: String?

    private init(manifest: Manifest, modulePath: String, contentHash: String, temporaryDirectory: String?) {
        self.manifest = manifest
        self.modulePath = modulePath
        self.contentHash = contentHash
        self.temporaryDirectory = temporaryDirectory
    }

    static func load(_ path: String) throws -> RunLocalExtension {
        var status = stat()
        guard stat(path, &status) == 0 else { throw CLIError("cannot read \(path): \(String(cString: strerror(errno)))") }
        return (status.st_mode & S_IFMT) == S_IFDIR ? try directory(path) : try bundle(path)
    }

    /// A project directory: manifest.json at its root and the entry its build wrote.
    private static func directory(_ path: String) throws -> RunLocalExtension {
        let manifest = try validated(LocalFiles.readBytes(path + "/manifest.json", limit: ManifestValidator.maxManifestBytes))
        let modulePath = path + "/" + manifest.entry
        guard LocalFiles.exists(modulePath) else {
            throw CLIError("MODULE_MISSING: \(modulePath) does not exist; build the project first (./build)")
        }
        return RunLocalExtension(manifest: manifest, modulePath: modulePath, contentHash: directoryContentHash, temporaryDirectory: nil)
    }

    /// A packed bundle: its manifest and entry streamed out of the archive, as cachefill would.
    private static func bundle(_ path: String) throws -> RunLocalExtension {
        let digest = try cliAttempt("cannot read the bundle \(path)") { try BundleReader.digest(ofFile: path) }
        let manifest = try validated(cliAttempt("cannot read the bundle \(path)") { try BundleReader.readManifest(fromFile: path) })
        let reader = EntryModuleReader(entry: manifest.entry)
        try cliAttempt("cannot read the bundle \(path)") {
            try Self.forEachChunk(ofFile: path) { try reader.feed($0) }
        }
        guard let module = try cliAttempt("cannot read the bundle \(path)", { try reader.finish().module }) else {
            throw CLIError("MODULE_MISSING: the bundle has no module at \(manifest.entry)")
        }
        let temporary = try LocalFiles.makeTemporaryDirectory(prefix: "exthost-run")
        let modulePath = temporary + "/main.wasm"
        let loaded = RunLocalExtension(manifest: manifest, modulePath: modulePath, contentHash: digest.contentHash.description, temporaryDirectory: temporary)
        do {
            try LocalFiles.write(module, to: modulePath)
        } catch {
            loaded.removeTemporaryFiles()
            throw CLIError(error)
        }
        return loaded
    }

    private static func validated(_ bytes: [UInt8]) throws -> Manifest {
        do {
            return try ManifestValidator.validate(bytes)
        } catch {
            throw CLIError("\(error.code): manifest.json has \(error.issues.count) issue(s):\n"
                + error.issues.map { "  \($0)" }.joined(separator: "\n"))
        }
    }

    /// Removes the temporary copy of a bundle's module.
    func removeTemporaryFiles() {
        guard let temporaryDirectory else { return }
        unlink(modulePath)
        rmdir(temporaryDirectory)
    }

    /// Hands the file to `body` in fixed-size reads until it ends or `body` returns false.
    private static func forEachChunk(ofFile path: String, _ body: (UnsafeRawBufferPointer) throws -> Bool) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CLIError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: BundleReader.readChunkSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw CLIError("cannot read \(path): \(String(cString: strerror(errno)))") }
            guard count > 0, try buffer.withUnsafeBytes({ try body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }) else { return }
        }
    }
}
