import ExthostCore
import Glibc
import Logging

/// One accept loop on its own pthread: accept a request, serve it, repeat until the server
/// drains. Owns its `FCGXConnection` for its whole life.
final class AcceptThread {
    let server: FastCGIServer
    let index: Int
    let listenFD: Int32

    /// Bytes of unread request body discarded to keep a connection reusable; beyond this the
    /// connection is closed instead.
    static let maxDiscardBytes = 1 << 20

    init(server: FastCGIServer, index: Int, listenFD: Int32) {
        self.server = server
        self.index = index
        self.listenFD = listenFD
    }

    func start() throws(ServerError) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, &attributes, acceptThreadEntry, context)
        if result != 0 {
            Unmanaged<AcceptThread>.fromOpaque(context).release()
            throw .threadStartFailed(reason: String(cString: strerror(result)))
        }
    }

    func loop() {
        server.recordThread(index)
        defer { server.markExited(index) }
        let connection: FCGXConnection
        do {
            connection = try FCGXConnection(listenFD: listenFD)
        } catch {
            server.logger.error("accept thread failed to start", metadata: ["error": "\(error)"])
            return
        }
        while server.markWaiting(index, keptFD: connection.keptConnectionFD) {
            guard connection.accept() else { break }
            server.markServing(index)
            let bytesOut = serve(connection)
            connection.finish()
            // After serve returned: the answer's buffers are freed by now.
            HeapTrim.afterResponse(bytesOut: bytesOut)
        }
    }

    /// Answers one request and returns how many bytes of answer it wrote.
    private func serve(_ connection: FCGXConnection) -> Int {
        let started = ContinuousClock.now
        let params = connection.parameters()
        let requestID = RequestID.accepting(params["HTTP_X_REQUEST_ID"])
        var response: Response
        var request: Request?
        do {
            let built = try Request(fastCGIParameters: params, requestID: requestID, body: connection.stdin())
            request = built
            response = try server.responder(built)
        } catch let error as any HTTPError {
            response = Response.error(error, requestID: requestID)
        } catch {
            server.logger.error("unhandled error", metadata: ["requestId": "\(requestID)", "error": "\(error)"])
            response = Response.error(RequestError.internalError, requestID: requestID)
        }

        var writer = connection.stdout()
        var outcome = "ok"
        do {
            try writer.write(response.cgiHead(requestID: requestID))
            if params["REQUEST_METHOD"] != "HEAD" {
                switch response.body {
                case .empty: break
                case .bytes(let bytes): try writer.write(bytes)
                case .stream(let produce):
                    var bodyWriter: any BodyWriter = writer
                    try produce(&bodyWriter)
                    if let updated = bodyWriter as? StdoutWriter { writer = updated }
                }
            }
        } catch {
            outcome = "\(error)"
        }
        if let body = request?.body, !discardRest(of: body) { connection.closeAfterRequest() }

        let elapsed = ContinuousClock.now - started
        var metadata: Logger.Metadata = [
            "requestId": "\(requestID)",
            "method": "\(params["REQUEST_METHOD"] ?? "")",
            "path": "\(request?.path ?? Self.pathWithoutQuery(params["REQUEST_URI"]))",
            "status": "\(response.status.code)",
            "bytesIn": "\(request?.body.bytesRead ?? 0)",
            "bytesOut": "\(writer.bytesWritten)",
            "durationMs": "\(Self.milliseconds(elapsed))",
        ]
        if outcome != "ok" { metadata["outcome"] = "\(outcome)" }
        server.logger.info("request", metadata: metadata)
        server.observer?(CompletedRequest(
            method: params["REQUEST_METHOD"] ?? "", route: request?.route, status: response.status.code, errorCode: response.errorCode, duration: elapsed,
            bytesIn: request?.body.bytesRead ?? 0, bytesOut: writer.bytesWritten))
        return writer.bytesWritten
    }

    /// Reads and drops what the handler left unread so a kept connection stays in sync; false
    /// when too much remains or the body failed, and the connection must be closed.
    private func discardRest(of body: RequestBody) -> Bool {
        // A refused upload (413, 429) must not wait for a slow client to send what is left.
        if let expected = body.expectedLength, expected - body.bytesRead > Self.maxDiscardBytes { return false }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var discarded = 0
        while discarded <= Self.maxDiscardBytes {
            guard let count = try? body.read(into: &buffer) else { return false }
            if count == 0 { return true }
            discarded += count
        }
        return false
    }

    /// Query strings stay out of logs: they may carry presigned credentials.
    private static func pathWithoutQuery(_ uri: String?) -> String {
        String((uri ?? "").prefix { $0 != "?" })
    }

    private static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        return "\(micros / 1000).\(format3(micros % 1000))"
    }

    private static func format3(_ value: Int64) -> String {
        let text = String(value)
        return String(repeating: "0", count: 3 - text.count) + text
    }
}

/// pthread entry point; a global function because a closure literal would be main-actor code.
private func acceptThreadEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let thread = Unmanaged<AcceptThread>.fromOpaque(context!).takeRetainedValue()
    thread.loop()
    return nil
}
