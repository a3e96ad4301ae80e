import API
import Bundle
import Cryptography
import Execution
import Glibc

/// A bundle file that passed the checks finalize runs (archive structure, manifest, the files
/// the manifest names, the wasm entry against the ABI), so what `pack`, `sign` and `publish`
/// accept the server accepts too.
///
/// Invariant: `manifest` is the valid manifest read from the scanned bytes at `path`, and
/// `scan.digest` is the hash and size of exactly those bytes.
struct PublishableBundle {
    let path: String
    let scan: BundleScan
    let manifest: Manifest

    var contentHash: ContentHash { scan.contentHash }
    var size: Int { scan.compressedSize }

    /// Scans the bundle at `path`; an invalid manifest reports every issue and throws `refusal`.
    static func check(
        _ path: String, refusal: String, reportIssues: ([ManifestIssue]) -> Void = printIssues
    ) throws -> PublishableBundle {
        let scan = try cliAttempt("\(path) is not a valid bundle") { try BundleReader.scan(fromFile: path) }
        let verdict = BundleVerification(scan: scan, signature: nil, policy: SignaturePolicy(trustStore: nil), now: 0)
        guard let manifest = verdict.manifest else {
            reportIssues(verdict.manifestIssues)
            throw CLIError(refusal)
        }
        try checkModule(path, manifest: manifest)
        return PublishableBundle(path: path, scan: scan, manifest: manifest)
    }

    /// The server's MODULE_INVALID check, run before anything is signed or uploaded; the
    /// refusal lists every problem, one per line.
    private static func checkModule(_ path: String, manifest: Manifest) throws {
        do {
            try ModuleCheck.check(bundleFile: path, manifest: manifest)
        } catch let error as ExecutionError {
            guard case .moduleInvalid(let problems) = error else { throw CLIError(error) }
            throw CLIError(([
                "\(error.code): \(manifest.entry) does not match exthost-wasm@1 (\(problems.count) problem\(problems.count == 1 ? "" : "s"))",
            ] + problems.map { "  \($0)" }).joined(separator: "\n"))
        } catch {
            throw CLIError("cannot read \(manifest.entry) from \(path): \(CLIError(error).description)")
        }
    }

    /// Validates `directory/manifest.json` (every issue at once), packs the directory into
    /// `output` reproducibly, then checks the packed file as an upload would be checked; a
    /// bundle that fails that check is removed.
    static func pack(
        directory: String, into output: String, reportIssues: ([ManifestIssue]) -> Void = printIssues
    ) throws -> PublishableBundle {
        let manifestBytes = try cliAttempt("cannot read \(directory)/manifest.json") {
            try LocalFiles.readBytes("\(directory)/manifest.json", limit: ManifestValidator.maxManifestBytes)
        }
        do {
            _ = try ManifestValidator.validate(manifestBytes)
        } catch {
            reportIssues(error.issues)
            throw CLIError("manifest.json is invalid (\(error.issues.count) issue\(error.issues.count == 1 ? "" : "s")); nothing was packed")
        }
        _ = try cliAttempt("cannot pack \(directory)") { try BundlePacker.pack(directory: directory, toFile: output) }
        do {
            return try check(output, refusal: "the manifest names files the directory lacks; nothing was packed", reportIssues: reportIssues)
        } catch {
            unlink(output)
            throw error
        }
    }

    /// A detached signature by the key pair in `keyPath`/`certPath`, refused before signing when
    /// the certificate's CN is not the manifest's publisher (the server would refuse it).
    func sign(keyPath: String, certPath: String, algorithm: SignatureAlgorithm? = nil) throws -> BundleSignature {
        let privateKey = try cliAttempt("cannot load the key \(keyPath)") { try PrivateKey(pem: LocalFiles.readText(keyPath)) }
        let certificate = try cliAttempt("cannot load the certificate \(certPath)") { try Certificate(pem: LocalFiles.readText(certPath)) }
        guard certificate.subjectCommonName == manifest.publisher else {
            throw CLIError("SIGNER_MISMATCH: the certificate CN \(certificate.subjectCommonName ?? "(none)") is not the manifest publisher \(manifest.publisher)")
        }
        return try cliAttempt("cannot sign") {
            try BundleSignature.sign(contentHash, key: privateKey, certificate: certificate, algorithm: algorithm)
        }
    }
}
