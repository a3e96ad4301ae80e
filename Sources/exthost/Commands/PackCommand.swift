import ArgumentParser
import Bundle

/// `exthost pack`: a reproducible bundle from a source directory.
struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pack a directory into a reproducible bundle.tar.zst.",
        discussion: """
            The directory must hold manifest.json at its root (see docs/manifest.md); it is \
            validated first and an invalid manifest is refused with every issue listed; the \
            packed wasm entry must match exthost-wasm@1 as finalize requires (MODULE_INVALID \
            lists every problem; not checked for a UI-only extension). Entries \
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
        let bundle = try PublishableBundle.pack(directory: directory, into: output)
        print("\(bundle.contentHash)  \(bundle.size) bytes  \(output)")
        print("\(bundle.manifest.extensionId) \(bundle.manifest.version), \(bundle.scan.entries.count) entries, \(bundle.scan.fileBytes) bytes of files")
    }
}

func printIssues(_ issues: [ManifestIssue]) {
    for issue in issues { print("  \(issue)") }
}
