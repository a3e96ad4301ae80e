import ArgumentParser
import BundleStore
import HTTPClient
import ServiceSupport

/// `exthost store`: raw object operations against the configured S3 bucket, for operators and
/// benchmarks; keys are used as given (no bundle key policy).
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Put, get, inspect, list and remove objects in the S3 bucket of the bundle store.",
        discussion: """
            Reads STORAGE_S3_ENDPOINT, STORAGE_S3_ACCESS_KEY, STORAGE_S3_SECRET_KEY, \
            STORAGE_S3_REGION, STORAGE_S3_BUCKET, STORAGE_S3_FORCE_PATH_STYLE and \
            STORAGE_S3_CA_FILE from the environment (DESIGN.md §9). Bodies are streamed in \
            256 KiB chunks, so memory stays flat whatever the object size.

              eval "$(scripts/stack env)"; exthost store ls sha256/
            """,
        subcommands: [
            StorePutCommand.self, StoreGetCommand.self, StoreHeadCommand.self, StoreListCommand.self,
            StoreRemoveCommand.self,
        ]
    )
}

/// An S3 client built from the process environment, with the CLI's fixed transfer buffers.
enum StoreConnection {
    /// The largest chunk read from a file for an upload and handed over by a download.
    static let bufferSize = 256 << 10

    static func client() throws -> S3Client {
        let configuration = try cliAttempt("cannot read the S3 configuration") {
            try S3Configuration(environment: ProcessEnvironment.current)
        }
        let http = HTTPClient(
            configuration: .init(caFile: configuration.caFile, receiveBufferSize: bufferSize, uploadBufferSize: bufferSize)
        )
        return S3Client(configuration: configuration, http: http)
    }
}
