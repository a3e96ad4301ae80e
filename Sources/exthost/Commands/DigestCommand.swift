import ArgumentParser
import Bundle

/// `exthost digest`: the content hash of a file, as exthost writes it.
struct DigestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print the sha256:<hex> content hash of a file (streamed).",
        discussion: "  exthost digest bundle.tar.zst   # the declaredHash for an upload"
    )

    @Argument(help: "Files to hash.")
    var files: [String]

    func run() throws {
        for file in files {
            let digest = try cliAttempt("cannot hash \(file)") { try BundleReader.digest(ofFile: file) }
            print("\(digest.contentHash)  \(file)")
        }
    }
}
