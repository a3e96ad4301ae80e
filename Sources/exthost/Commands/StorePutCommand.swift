import ArgumentParser
import BundleStore

/// `exthost store put`: streams a local file into one object.
struct StorePutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Upload a file to KEY (streamed; key, size, ETag and speed on stderr).",
        discussion: """
              exthost store put scratch/big.bin ./big.bin
              exthost store put scratch/big.bin ./big.bin --once   # OBJECT_EXISTS if taken
            """
    )

    @Argument(help: "Object key, used as given.")
    var key: String

    @Argument(help: "Local file to upload.")
    var file: String

    @Flag(help: "Write once: refuse if KEY exists (HEAD, then If-None-Match: *).")
    var once = false

    func run() throws {
        let client = try StoreConnection.client()
        let source = try cliAttempt("cannot put \(key)") { try StoreFile.openForReading(file) }
        let length = try cliAttempt("cannot put \(key)") { try source.regularFileSize() }
        let body = ObjectBody.stream(length: length, source: { buffer in try source.read(into: buffer) })
        let report = StoreTransferReport()
        let etag = try cliAttempt("cannot put \(key)") {
            once ? try client.putOnce(key, body: body) : try client.put(key, body: body)
        }
        report.finish("put", key: key, bytes: length, etag: etag)
    }
}
