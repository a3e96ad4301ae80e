import ArgumentParser
import BundleStore

/// `exthost store get`: streams one object (or a byte range of it) into a local file.
struct StoreGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Download KEY into FILE (streamed; size and speed on stderr).",
        discussion: """
              exthost store get scratch/big.bin ./copy.bin
              exthost store get scratch/big.bin ./head.bin --range 0-1023 --force
            """
    )

    @Argument(help: "Object key, used as given.")
    var key: String

    @Argument(help: "Local file to create.")
    var file: String

    @Option(help: ArgumentHelp("Inclusive byte range A-B, as in an HTTP Range header.", valueName: "A-B"), transform: StoreGetCommand.parseRange)
    var range: ClosedRange<Int64>?

    @Flag(help: "Replace FILE if it exists.")
    var force = false

    func run() throws {
        let client = try StoreConnection.client()
        let sink = try cliAttempt("cannot get \(key)") { try StoreFile.create(file, overwrite: force) }
        var received: Int64 = 0
        let report = StoreTransferReport()
        _ = try cliAttempt("cannot get \(key)") {
            try client.get(key, range: range, sink: { chunk in
                try sink.write(chunk)
                received += Int64(chunk.count)
            })
        }
        sink.complete()
        report.finish("get", key: key, bytes: received)
    }

    static func parseRange(_ text: String) throws -> ClosedRange<Int64> {
        let bounds = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2, let lower = Int64(bounds[0]), let upper = Int64(bounds[1]), lower >= 0, lower <= upper else {
            throw ValidationError("--range must be A-B with 0 <= A <= B, such as 0-1023 (got '\(text)')")
        }
        return lower...upper
    }
}
