import ArgumentParser
import Bundle

/// `exthost extract`: unpack a bundle the way the cache does, safely and atomically.
struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract a bundle into a new directory (atomically; never follows links).",
        discussion: "  exthost extract bundle.tar.zst ./out\nThe directory must not exist; it appears complete or not at all."
    )

    @Argument(help: "The bundle to extract.")
    var bundle: String

    @Argument(help: "Directory to create.")
    var directory: String

    func run() throws {
        var trimmed = directory
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        let parent = trimmed.contains("/") ? String(trimmed[..<trimmed.lastIndex(of: "/")!]) : "."
        let digest = try cliAttempt("cannot extract \(bundle)") {
            try SafeExtractor.extract(fromFile: bundle, to: trimmed, stagingRoot: parent.isEmpty ? "/" : parent)
        }
        print("\(digest.contentHash)  extracted into \(trimmed)")
    }
}
