extension HTTPClient {
    /// The limits and trust settings every request of one client shares.
    ///
    /// Fixed for every client, so not configurable: TLS peer and host verification are on,
    /// redirects are never followed (a 3xx is returned as is), only `http` and `https` are
    /// spoken, and HTTP/1.1 is used.
    public struct Configuration: Sendable {
        /// Upper bound on establishing the TCP connection and the TLS handshake.
        public var connectTimeout: Duration
        /// A transfer slower than `lowSpeedLimit` bytes per second for `lowSpeedTime` fails
        /// with `timeout`; a limit of 0 disables the check. curl counts whole seconds.
        public var lowSpeedLimit: Int
        public var lowSpeedTime: Duration
        /// Upper bound on a whole request; a per-call timeout can only shorten it.
        public var totalTimeout: Duration?
        /// A PEM file of CA certificates trusted in addition to the system's default bundle.
        public var caFile: String?
        /// Idle easy handles (each with its live connections) kept for reuse; handles beyond
        /// this are closed when their request ends, so concurrency itself is not capped.
        public var maxPooledHandles: Int
        public var userAgent: String
        /// Default cap on the body `HTTPClient.send` buffers in memory.
        public var maxBufferedResponseBytes: Int
        /// Size of curl's receive buffer: the largest chunk a sink is handed.
        public var receiveBufferSize: Int
        /// Size of curl's upload buffer: the largest chunk a body source is asked for.
        public var uploadBufferSize: Int

        public init(
            connectTimeout: Duration = .seconds(10),
            lowSpeedLimit: Int = 1,
            lowSpeedTime: Duration = .seconds(30),
            totalTimeout: Duration? = nil,
            caFile: String? = nil,
            maxPooledHandles: Int = 16,
            userAgent: String = "exthost",
            maxBufferedResponseBytes: Int = 16 << 20,
            receiveBufferSize: Int = 128 << 10,
            uploadBufferSize: Int = 128 << 10
        ) {
            self.connectTimeout = connectTimeout
            self.lowSpeedLimit = lowSpeedLimit
            self.lowSpeedTime = lowSpeedTime
            self.totalTimeout = totalTimeout
            self.caFile = caFile
            self.maxPooledHandles = maxPooledHandles
            self.userAgent = userAgent
            self.maxBufferedResponseBytes = maxBufferedResponseBytes
            self.receiveBufferSize = receiveBufferSize
            self.uploadBufferSize = uploadBufferSize
        }
    }
}
