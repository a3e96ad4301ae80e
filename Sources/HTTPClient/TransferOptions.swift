/// The settings of one transfer, resolved from the client's configuration and the call.
///
/// Invariants: times are whole milliseconds (or seconds where curl counts seconds), rounded up
/// so a short positive duration never becomes curl's "0 = no limit"; `totalTimeoutMilliseconds`
/// is 0 only when neither the configuration nor the call sets a limit.
struct TransferOptions {
    var connectTimeoutMilliseconds: Int
    var totalTimeoutMilliseconds: Int
    var lowSpeedLimit: Int
    var lowSpeedTimeSeconds: Int
    var caFile: String?
    var userAgent: String
    var receiveBufferSize: Int
    var uploadBufferSize: Int

    /// Throws `timeout` when the call's time is already used up: nothing would be sent in time.
    init(configuration: HTTPClient.Configuration, timeout: Duration?) throws(HTTPClientError) {
        let limits = [configuration.totalTimeout, timeout].compactMap { $0 }
        if let shortest = limits.min() {
            guard shortest > .zero else { throw .timeout(reason: "no time was left for the request") }
            totalTimeoutMilliseconds = Self.milliseconds(shortest)
        } else {
            totalTimeoutMilliseconds = 0
        }
        connectTimeoutMilliseconds = Self.milliseconds(configuration.connectTimeout)
        lowSpeedLimit = max(0, configuration.lowSpeedLimit)
        lowSpeedTimeSeconds = (Self.milliseconds(configuration.lowSpeedTime) + 999) / 1000
        caFile = configuration.caFile
        userAgent = configuration.userAgent
        receiveBufferSize = configuration.receiveBufferSize
        uploadBufferSize = configuration.uploadBufferSize
    }

    /// `duration` in milliseconds, rounded up, at least 1 and at most `Int32.max` (24.8 days).
    static func milliseconds(_ duration: Duration) -> Int {
        let cap = Int(Int32.max)
        guard duration > .zero else { return 1 }
        let (seconds, attoseconds) = duration.components
        guard seconds < Int64(cap / 1000) else { return cap }
        let partial = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return max(1, Int(seconds) * 1000 + Int(partial))
    }
}
