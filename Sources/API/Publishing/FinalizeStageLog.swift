import Logging

/// One structured log line per finalize stage (received, hashed, verified, stored, registered)
/// with the request and upload ids, the bytes concerned and the milliseconds the stage took.
///
/// Invariant: each stage's time runs from the end of the previous one (or the claim), so the
/// lines of one finalize add up to its duration.
struct FinalizeStageLog {
    let logger: Logger
    let requestID: String
    let uploadID: String
    private var stageStart = ContinuousClock.now

    init(logger: Logger, requestID: String, uploadID: String) {
        self.logger = logger
        self.requestID = requestID
        self.uploadID = uploadID
    }

    mutating func finished(_ stage: String, bytes: Int64, _ more: Logger.Metadata = [:]) {
        let now = ContinuousClock.now
        let milliseconds = (stageStart.duration(to: now) / .microseconds(1)).rounded() / 1000
        stageStart = now
        var metadata: Logger.Metadata = [
            "requestId": "\(requestID)", "uploadId": "\(uploadID)", "bytes": "\(bytes)", "ms": "\(milliseconds)",
        ]
        metadata.merge(more) { _, new in new }
        logger.info("finalize \(stage)", metadata: metadata)
    }
}
