import ArgumentParser
import Bundle
import Glibc

/// `exthost pack`: a reproducible bundle from a source directory.
struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pack a directory into a reproducible bundle.tar.zst.",
        discussion: """
            The directory must hold manifest.json at its root (see docs/manifest.md); it is \
            validated first and an invalid manifest is refused with every issue listed. Entries \
            are sorted, with mtime 0, uid/gid 0, no owner names and modes 0644/0755, compressed \
            at zstd level \(BundlePacker.compressionLevel) single-threaded: the same files always \
            give the same content hash.
              exthost pack ./my-extension -o bundle.tar.zst
            """
    )

    @Argument(help: "Source directory (holds manifest.json).")
    var directory: String

    @Option(name: [.short, .customLong("output")], help: "Bundle file to write.")
    var output = "bundle.tar.zst"

    func run() throws {
        let manifestBytes = try cliAttempt("cannot read \(directory)/manifest.json") {
            try LocalFiles.readBytes("\(directory)/manifest.json", limit: ManifestValidator.maxManifestBytes)
        }
        do {
            _ = try ManifestValidator.validate(manifestBytes)
        } catch {
            printIssues(error.issues)
            throw CLIError("manifest.json is invalid (\(error.issues.count) issue\(error.issues.count == 1 ? "" : "s")); nothing was packed")
        }
        let digest = try cliAttempt("cannot pack \(directory)") {
            try BundlePacker.pack(directory: directory, toFile: output)
        }
        // The packed bundle goes through the same checks as an upload, so what packs also publishes.
        let scan = try cliAttempt("packed bundle failed its own check") { try BundleReader.scan(fromFile: output) }
        let verdict = BundleVerification(scan: scan, signature: nil, policy: SignaturePolicy(trustStore: nil), now: 0)
        guard let manifest = verdict.manifest else {
            unlink(output)
            printIssues(verdict.manifestIssues)
            throw CLIError("the manifest names files the directory lacks; nothing was packed")
        }
        print("\(digest.contentHash)  \(digest.size) bytes  \(output)")
        print("\(manifest.extensionId) \(manifest.version), \(scan.entries.count) entries, \(scan.fileBytes) bytes of files")
    }
}

func printIssues(_ issues: [ManifestIssue]) {
    for issue in issues { print("  \(issue)") }
}
