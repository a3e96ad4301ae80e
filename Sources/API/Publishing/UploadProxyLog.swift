import ExthostCore
import Logging

/// The structured log lines of one upload-proxy request, one per stage: `received` (bytes,
/// parts, ms since the handler began: mostly the client's sending time), `hashed` (content hash,
/// ms spent in SHA-256) or `failed` (code, bytes so far).
///
/// Invariant: every line carries the request id, and the upload id once a session exists.
struct UploadProxyLog {
    let logger: Logger
    let requestID: String
    var uploadID: String?
    private let started = ContinuousClock.now

    init(logger: Logger, requestID: String) {
        self.logger = logger
        self.requestID = requestID
    }

    func received(bytes: Int64, parts: Int) {
        write("upload-proxy received", bytes: bytes, ms: started.duration(to: .now), ["parts": "\(parts)"])
    }

    func hashed(bytes: Int64, contentHash: String, hashing: Duration) {
        write("upload-proxy hashed", bytes: bytes, ms: hashing, ["contentHash": "\(contentHash)"])
    }

    func failed(bytes: Int64, error: any Error) {
        let code = (error as? any HTTPError)?.code ?? "INTERNAL_ERROR"
        write("upload-proxy failed", bytes: bytes, ms: started.duration(to: .now), ["code": "\(code)"], level: .warning)
    }

    private func write(_ message: Logger.Message, bytes: Int64, ms duration: Duration, _ more: Logger.Metadata, level: Logger.Level = .info) {
        var metadata: Logger.Metadata = [
            "requestId": "\(requestID)", "bytes": "\(bytes)", "ms": "\((duration / .microseconds(1)).rounded() / 1000)",
        ]
        if let uploadID { metadata["uploadId"] = "\(uploadID)" }
        metadata.merge(more) { _, new in new }
        logger.log(level: level, message, metadata: metadata)
    }
}
