/// The product's one HTTP client (libcurl underneath): S3, the runner's `http.fetch` and the
/// CLI's `publish` all send their requests through it.
///
/// Invariants: safe to share between threads; each request runs on the calling thread on an
/// easy handle taken from a bounded pool, so sequential requests to the same host reuse a live
/// connection; request and response bodies are streamed in chunks of at most the configured
/// buffer sizes, so memory does not grow with body size (except in `send`, which buffers up to
/// its limit); TLS is always verified; redirects are never followed.
public final class HTTPClient: Sendable {
    public let configuration: Configuration
    private let pool: CurlHandlePool

    public init(configuration: Configuration = Configuration()) {
        LibCurl.initialized
        self.configuration = configuration
        self.pool = CurlHandlePool(capacity: configuration.maxPooledHandles)
    }

    /// Sends `request` and streams the response: `onHead` gets the final head once, then `sink`
    /// gets the body chunk by chunk (each at most `receiveBufferSize` bytes; the buffer is only
    /// valid during the call). An error thrown by `onHead` or `sink` aborts the transfer and
    /// comes back as `sinkFailed` holding it. Returns the head that was passed to `onHead`.
    ///
    /// `timeout` bounds the whole request (connect, send, wait, receive); the configured
    /// `totalTimeout` still applies if it is shorter. A zero or negative `timeout` throws
    /// `timeout` without sending anything.
    @discardableResult
    public func execute(
        _ request: HTTPRequest,
        timeout: Duration? = nil,
        onHead: (HTTPResponseHead) throws -> Void = { _ in },
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws(HTTPClientError) -> HTTPResponseHead {
        try RequestValidation.check(request)
        let options = try TransferOptions(configuration: configuration, timeout: timeout)
        let handle = pool.checkOut()
        // Only a handle whose transfer succeeded goes back to the pool: libcurl 7.88 can leave a
        // failed handle refusing options on its next use (CURLOPT_BUFFERSIZE after a resolve
        // failure), and a failed transfer's connection is closed anyway.
        let head = try withoutActuallyEscaping(onHead) { (onHead) throws(HTTPClientError) in
            try withoutActuallyEscaping(sink) { (sink) throws(HTTPClientError) in
                let transfer = CurlTransfer(
                    body: request.body,
                    isHeadRequest: request.method == "HEAD",
                    maxResponseBytes: request.maxResponseBytes,
                    connectGuard: request.connectGuard,
                    onHead: onHead,
                    sink: sink
                )
                return try handle.perform(request, transfer: transfer, options: options)
            }
        }
        pool.checkIn(handle)
        return head
    }

    /// Sends `request` and buffers the whole response body, failing with `responseTooLarge`
    /// beyond `maxResponseBytes` (default: the configured `maxBufferedResponseBytes`; a smaller
    /// `request.maxResponseBytes` wins). Meant for small bodies: S3 XML, JSON APIs, errors.
    public func send(
        _ request: HTTPRequest,
        maxResponseBytes: Int? = nil,
        timeout: Duration? = nil
    ) throws(HTTPClientError) -> HTTPResponse {
        var limited = request
        let limit = Int64(max(0, maxResponseBytes ?? configuration.maxBufferedResponseBytes))
        limited.maxResponseBytes = min(limit, request.maxResponseBytes ?? limit)
        var body: [UInt8] = []
        let head = try execute(
            limited,
            timeout: timeout,
            onHead: { head in
                // The declared length was already checked against the limit.
                if request.method != "HEAD", let declared = head.firstValue(for: "Content-Length").flatMap(Int.init), declared > 0 {
                    body.reserveCapacity(declared)
                }
            },
            sink: { chunk in body.append(contentsOf: chunk) }
        )
        return HTTPResponse(head: head, body: body)
    }
}
