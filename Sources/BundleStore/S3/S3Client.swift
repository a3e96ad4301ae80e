import Cryptography
import ExthostCore
import HTTPClient

/// Sends requests for `S3Client`; `HTTPClient` is the real one, tests wrap it to inject faults.
public protocol S3Transport: Sendable {
    func execute(
        _ request: HTTPRequest,
        timeout: Duration?,
        onHead: (HTTPResponseHead) throws -> Void,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws(HTTPClientError) -> HTTPResponseHead
}

extension HTTPClient: S3Transport {}

/// The S3 operations the bundle store needs, signed with SigV4 and sent through `HTTPClient`.
///
/// Invariants: every attempt is signed afresh (so a retry never reuses a stale `x-amz-date`);
/// only idempotent requests are retried (see `S3RetryPolicy`), and never with a streamed body
/// that cannot be replayed, nor a GET whose sink has already been fed; S3 answers become
/// `BundleStoreError`s whose messages carry no credential or signature.
public final class S3Client: Sendable {
    public let configuration: S3Configuration
    public let retryPolicy: S3RetryPolicy
    /// Bounds each small request (HEAD, DELETE, listings, multipart control); streamed GETs and
    /// PUTs rely on the HTTP client's low-speed limit instead, as their length is unbounded.
    public let requestTimeout: Duration?
    let transport: any S3Transport

    /// Error bodies are read up to this size; S3's are a few hundred bytes.
    static let maximumErrorBody = 64 << 10
    /// XML answers (listings of 1000 keys) stay well below this.
    static let maximumXMLBody = 8 << 20

    public init(
        configuration: S3Configuration,
        http: HTTPClient,
        retryPolicy: S3RetryPolicy = S3RetryPolicy(),
        requestTimeout: Duration? = .seconds(60),
        transport: (any S3Transport)? = nil
    ) {
        self.configuration = configuration
        self.retryPolicy = retryPolicy
        self.requestTimeout = requestTimeout
        self.transport = transport ?? http
    }

    /// One S3 request before signing.
    struct Call {
        var operation: String
        /// Named in errors; the bucket for bucket-level calls.
        var key: String
        var method: String
        var url: S3URL
        /// Signed and sent as is.
        var headers: [(name: String, value: String)] = []
        var body: ObjectBody? = nil
        var timeout: Duration?
    }

    func objectURL(_ key: String, query: [S3QueryItem] = []) throws(BundleStoreError) -> S3URL {
        do {
            return try configuration.objectURL(key: key, query: query)
        } catch {
            throw .invalidKey(reason: error.message)
        }
    }

    /// Runs `body` up to `retryPolicy.maxAttempts` times while it fails transiently and
    /// `retryable` (asked after each failure) holds; `body` gets the attempt number (1-based).
    func retrying<T>(_ retryable: @autoclosure () -> Bool, _ body: (Int) throws(BundleStoreError) -> T) throws(BundleStoreError) -> T {
        var attempt = 1
        while true {
            do throws(BundleStoreError) {
                return try body(attempt)
            } catch {
                guard error.isTransient, retryable(), attempt < retryPolicy.maxAttempts else { throw error }
                retryPolicy.sleep(retryPolicy.delay(after: attempt))
                attempt += 1
            }
        }
    }

    /// Signs and sends `call` once. A 2xx head goes to `onHead` and its body to `sink`; any other
    /// status is read (bounded) and thrown as the matching `BundleStoreError`.
    func exchange(
        _ call: Call,
        onHead: (HTTPResponseHead) throws -> Void = { _ in },
        sink: (UnsafeRawBufferPointer) throws -> Void = { _ in }
    ) throws(BundleStoreError) -> HTTPResponseHead {
        let payload: SigV4Payload
        let body: HTTPRequestBody
        switch call.body {
        case nil:
            payload = .empty
            body = .none
        case .bytes(let bytes)?:
            payload = bytes.isEmpty ? .empty : .sha256(SHA256.hash(bytes).hex)
            body = .bytes(bytes)
        case .stream(let length, let source)?:
            payload = .unsigned
            body = .stream(length: length, source: source)
        }
        let authorization = configuration.signer.signHeaders(
            method: call.method, url: call.url, headers: call.headers, payload: payload, at: SigV4Timestamp.now().epochSeconds)
        let request = HTTPRequest(method: call.method, url: call.url.string, headers: call.headers + authorization, body: body)

        var failed = false
        var errorBody: [UInt8] = []
        let head: HTTPResponseHead
        do {
            head = try transport.execute(
                request,
                timeout: call.timeout,
                onHead: { head in
                    if (200..<300).contains(head.status) { try onHead(head) } else { failed = true }
                },
                sink: { chunk in
                    guard failed else { return try sink(chunk) }
                    errorBody.append(contentsOf: chunk.prefix(max(0, Self.maximumErrorBody - errorBody.count)))
                }
            )
        } catch {
            throw BundleStoreError(transport: error, operation: call.operation)
        }
        if failed {
            throw S3ErrorResponse(status: head.status, body: errorBody).storeError(operation: call.operation, key: call.key)
        }
        return head
    }

    /// `exchange` with the body collected in memory, up to `maximumXMLBody` bytes.
    func exchangeBuffered(_ call: Call) throws(BundleStoreError) -> (head: HTTPResponseHead, body: [UInt8]) {
        var body: [UInt8] = []
        let head = try exchange(call, sink: { chunk in
            guard body.count + chunk.count <= Self.maximumXMLBody else {
                throw BundleStoreError.protocolError(operation: call.operation, reason: "answer larger than \(Self.maximumXMLBody) bytes")
            }
            body.append(contentsOf: chunk)
        })
        return (head, body)
    }

    /// The XML document of a 2xx answer; an `<Error>` root (S3 sends those with 200 for
    /// CompleteMultipartUpload and CopyObject) is thrown as the error it describes.
    func parseXML(_ answer: (head: HTTPResponseHead, body: [UInt8]), call: Call, expecting rootName: String) throws(BundleStoreError) -> S3XMLElement {
        let root: S3XMLElement
        do {
            root = try S3XML.parse(answer.body)
        } catch {
            throw .protocolError(operation: call.operation, reason: error.description)
        }
        if root.name == "Error" {
            let code = root.text(of: "Code") ?? ""
            // A 200 carrying an error is a failure all the same; give it a 5xx-like status
            // unless its code says otherwise.
            throw S3ErrorResponse(status: code.isEmpty ? 500 : answer.head.status, code: code, requestId: root.text(of: "RequestId"))
                .storeError(operation: call.operation, key: call.key)
        }
        // moto names some roots `…Response` where S3 says `…Result`; both are accepted.
        let alias = rootName.hasSuffix("Result") ? String(rootName.dropLast(6)) + "Response" : rootName
        guard root.name == rootName || root.name == alias else {
            throw .protocolError(operation: call.operation, reason: "unexpected <\(root.name)> document")
        }
        return root
    }

    /// A presigned URL for `method` on `key` (with extra query items such as a part number).
    public func presignedURL(
        method: String,
        key: String,
        query: [S3QueryItem] = [],
        headers: [(name: String, value: String)] = [],
        expiresIn seconds: Int
    ) throws(BundleStoreError) -> SigV4PresignedURL {
        let url = try objectURL(key, query: query)
        do {
            return try configuration.signer.presignedURL(method: method, url: url, headers: headers, expires: seconds, at: .now())
        } catch {
            throw .protocolError(operation: "presign", reason: error.message)
        }
    }
}
