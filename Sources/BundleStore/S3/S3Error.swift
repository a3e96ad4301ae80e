import HTTPClient

/// An S3 `<Error>` answer (or just a status when the body is empty, as for HEAD), and how it
/// maps to `BundleStoreError`.
///
/// Invariant: only the error code, the status and the request id are kept; S3's `<Message>`
/// and extra fields (`StringToSign`, `CanonicalRequest`...) are dropped, as they can echo
/// request details that must not reach a log or a client.
public struct S3ErrorResponse: Sendable, Equatable {
    public let status: Int
    /// `NoSuchKey`, `PreconditionFailed`, `SignatureDoesNotMatch`, `SlowDown`...; empty when
    /// the answer carried no `<Error>` document.
    public let code: String
    public let requestId: String?

    public init(status: Int, code: String, requestId: String? = nil) {
        self.status = status
        self.code = code
        self.requestId = requestId
    }

    /// Parses an `<Error>` body; an empty or unparsable body keeps the status only.
    public init(status: Int, body: [UInt8]) {
        let root = try? S3XML.parse(body)
        let error = root?.name == "Error" ? root : nil
        self.init(status: status, code: error?.text(of: "Code") ?? "", requestId: error?.text(of: "RequestId"))
    }

    /// Worth another attempt: the store is overloaded or briefly failing.
    public var isTransient: Bool {
        status >= 500 || status == 429 || Self.transientCodes.contains(code)
    }

    static let transientCodes: Set<String> = [
        "SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "RequestTimeTooSkewed",
        "ConditionalRequestConflict", "OperationAborted",
    ]
    static let configurationCodes: Set<String> = [
        "SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken",
        "AuthorizationHeaderMalformed", "NoSuchBucket", "AllAccessDisabled", "InvalidBucketName", "PermanentRedirect",
    ]
    static let multipartCodes: Set<String> = ["InvalidPart", "InvalidPartOrder", "EntityTooSmall", "EntityTooLarge"]

    var summary: String {
        let shown = code.isEmpty ? "HTTP \(status)" : "\(code) (HTTP \(status))"
        return requestId.map { "\(shown), request id \($0)" } ?? shown
    }

    /// The typed error for this answer to `operation` on `key`.
    public func storeError(operation: String, key: String) -> BundleStoreError {
        if code == "PreconditionFailed" || (code.isEmpty && status == 412) { return .alreadyExists(key: key) }
        if code == "NoSuchKey" || code == "NoSuchUpload" || (code.isEmpty && status == 404) { return .notFound(key: key) }
        if isTransient { return .unavailable(operation: operation, reason: summary) }
        if Self.configurationCodes.contains(code) || status == 401 || status == 403 || (300..<400).contains(status) {
            return .misconfigured(operation: operation, reason: summary)
        }
        if Self.multipartCodes.contains(code) { return .invalidMultipart(key: key, s3Code: code) }
        return .protocolError(operation: operation, reason: summary)
    }
}

extension BundleStoreError {
    /// The typed error for a transport failure of `operation`; the client's own messages are
    /// already redacted (no header values, no query strings).
    init(transport error: HTTPClientError, operation: String) {
        switch error {
        case .resolveFailed, .connectFailed, .timeout, .sendFailed, .receiveFailed, .emptyResponse, .transferFailed, .aborted:
            self = .unavailable(operation: operation, reason: error.message)
        case .tlsFailed, .invalidURL:
            self = .misconfigured(operation: operation, reason: error.message)
        case .invalidRequest, .protocolError, .responseTooLarge:
            self = .protocolError(operation: operation, reason: error.message)
        case .bodyEndedEarly:
            self = .sourceFailed(error)
        case .bodySourceFailed(let underlying):
            self = (underlying as? BundleStoreError) ?? .sourceFailed(underlying)
        case .sinkFailed(let underlying):
            self = (underlying as? BundleStoreError) ?? .sinkFailed(underlying)
        }
    }

    /// Worth another attempt of an idempotent request.
    var isTransient: Bool {
        if case .unavailable = self { return true }
        return false
    }
}
