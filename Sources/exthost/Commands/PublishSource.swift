import Bundle
import Cryptography
import Glibc

/// The bundle `publish` sends and the signature it sends with it: a directory packed into a
/// temporary file, or an existing bundle file with its `BUNDLE.sig`.
///
/// Invariants: the bundle passed the checks finalize runs first; a temporary directory made
/// for a packed bundle is removed (with the bundle) when this object is released.
final class PublishSource {
    let bundle: PublishableBundle
    private(set) var signature: BundleSignature?
    /// The name the upload is registered under: the file's name, or `name-version.tar.zst`.
    let filename: String
    private let temporaryDirectory: String?

    private init(bundle: PublishableBundle, signature: BundleSignature?, filename: String, temporaryDirectory: String?) {
        self.bundle = bundle
        self.signature = signature
        self.filename = filename
        self.temporaryDirectory = temporaryDirectory
    }

    deinit {
        if let temporaryDirectory {
            unlink(bundle.path)
            rmdir(temporaryDirectory)
        }
    }

    /// Packs `path` when it is a directory, else checks it as a bundle file; signs with
    /// `signingKeys` when given, else uses `BUNDLE.sig` next to a bundle file if there is one.
    static func prepare(_ path: String, signingKeys: (key: String, cert: String)?, progress: ProgressReporter) throws -> PublishSource {
        let reportIssues: ([ManifestIssue]) -> Void = { issues in
            for issue in issues { progress.stage("  \(issue)") }
        }
        let source = try isDirectory(path)
            ? packed(path, progress: progress, reportIssues: reportIssues)
            : existing(path, sidecarSignature: signingKeys == nil, progress: progress, reportIssues: reportIssues)
        guard let signingKeys else { return source }
        let signature = try source.bundle.sign(keyPath: signingKeys.key, certPath: signingKeys.cert)
        source.signature = signature
        progress.stage("signed \(source.bundle.contentHash) with \(signature.algorithm.rawValue) as CN=\(source.bundle.manifest.publisher)")
        return source
    }

    private static func packed(_ path: String, progress: ProgressReporter, reportIssues: ([ManifestIssue]) -> Void) throws -> PublishSource {
        progress.status("packing \(path) …")
        let directory = try LocalFiles.makeTemporaryDirectory(prefix: "exthost-publish")
        let bundle: PublishableBundle
        do {
            bundle = try PublishableBundle.pack(directory: path, into: directory + "/bundle.tar.zst", reportIssues: reportIssues)
        } catch {
            rmdir(directory)
            throw error
        }
        progress.stage("packed \(path): \(bundle.manifest.extensionId) \(bundle.manifest.version), \(bundle.contentHash), \(bundle.size) bytes")
        let filename = "\(bundle.manifest.name)-\(bundle.manifest.version).tar.zst"
        return PublishSource(bundle: bundle, signature: nil, filename: filename, temporaryDirectory: directory)
    }

    private static func existing(
        _ path: String, sidecarSignature: Bool, progress: ProgressReporter, reportIssues: ([ManifestIssue]) -> Void
    ) throws -> PublishSource {
        progress.status("checking \(path) …")
        let bundle = try PublishableBundle.check(path, refusal: "\(path) has an invalid manifest; nothing was uploaded", reportIssues: reportIssues)
        progress.stage("read \(path): \(bundle.manifest.extensionId) \(bundle.manifest.version), \(bundle.contentHash), \(bundle.size) bytes")
        let sidecar = path + ".sig"
        var signature: BundleSignature?
        if sidecarSignature && LocalFiles.exists(sidecar) {
            signature = try cliAttempt("cannot use \(sidecar)") { try BundleSignature(jsonBytes: LocalFiles.readBytes(sidecar, limit: 64 * 1024)) }
            progress.stage("signature from \(sidecar)")
        }
        let filename = String(path.split(separator: "/").last ?? "bundle.tar.zst")
        return PublishSource(bundle: bundle, signature: signature, filename: filename, temporaryDirectory: nil)
    }

    private static func isDirectory(_ path: String) throws -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CLIError("cannot publish \(path): \(String(cString: strerror(errno)))") }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }
}
