import ExthostCore

/// Why a bundle store operation failed, in terms an API caller can act on.
///
/// Invariant: no message contains a credential, an `Authorization` value, a presigned query
/// string or the raw text of an upstream response; at most an object key, an operation name
/// and an S3 error code appear.
public enum BundleStoreError: HTTPError, CustomStringConvertible {
    /// A write-once put or copy found the key already written.
    case alreadyExists(key: String)
    /// The object (or multipart upload) does not exist.
    case notFound(key: String)
    /// The store did not answer usefully: 5xx, `SlowDown`, a timeout or a connection failure.
    case unavailable(operation: String, reason: String)
    /// The store refused our credentials or signature, or TLS failed: an operator must fix it.
    case misconfigured(operation: String, reason: String)
    /// The store answered something this client does not understand, or refused a request as
    /// malformed.
    case protocolError(operation: String, reason: String)
    /// The parts of a multipart upload do not add up (too small, missing, wrong ETag).
    case invalidMultipart(key: String, s3Code: String)
    /// A staging upload id outside `[A-Za-z0-9-]{8,64}`.
    case invalidUploadId
    /// The key cannot be addressed (empty, too long, `.`/`..` segments...).
    case invalidKey(reason: String)
    /// The caller's body source threw; the error is kept as is.
    case sourceFailed(any Error)
    /// The caller's sink threw; the error is kept as is.
    case sinkFailed(any Error)

    public var status: HTTPStatus {
        switch self {
        case .alreadyExists: .conflict
        case .notFound: .notFound
        case .unavailable, .misconfigured: .serviceUnavailable
        case .protocolError: .badGateway
        case .invalidMultipart: .unprocessableEntity
        case .invalidUploadId: .badRequest
        case .invalidKey: .internalServerError
        case .sourceFailed(let underlying), .sinkFailed(let underlying):
            (underlying as? any HTTPError)?.status ?? .internalServerError
        }
    }

    public var code: String {
        switch self {
        case .alreadyExists: "OBJECT_EXISTS"
        case .notFound: "OBJECT_NOT_FOUND"
        case .unavailable: "STORAGE_UNAVAILABLE"
        case .misconfigured: "STORAGE_MISCONFIGURED"
        case .protocolError: "STORAGE_PROTOCOL_ERROR"
        case .invalidMultipart: "MULTIPART_INVALID"
        case .invalidUploadId: "UPLOAD_ID_INVALID"
        case .invalidKey: "STORE_KEY_INVALID"
        case .sourceFailed(let underlying): (underlying as? any HTTPError)?.code ?? "STORE_SOURCE_FAILED"
        case .sinkFailed(let underlying): (underlying as? any HTTPError)?.code ?? "STORE_SINK_FAILED"
        }
    }

    public var message: String {
        switch self {
        case .alreadyExists(let key): "object \(key) already exists and is write-once"
        case .notFound(let key): "object \(key) does not exist"
        case .unavailable(let operation, let reason): "the bundle store is unavailable (\(operation)): \(reason)"
        case .misconfigured(let operation, let reason): "the bundle store refused our configuration (\(operation)): \(reason)"
        case .protocolError(let operation, let reason): "unexpected answer from the bundle store (\(operation)): \(reason)"
        case .invalidMultipart(let key, let s3Code): "the multipart upload of \(key) was refused: \(s3Code)"
        case .invalidUploadId: "the upload id must be 8 to 64 letters, digits or '-'"
        case .invalidKey(let reason): "invalid object key: \(reason)"
        case .sourceFailed(let underlying): (underlying as? any HTTPError)?.message ?? "reading the body to store failed"
        case .sinkFailed(let underlying): (underlying as? any HTTPError)?.message ?? "consuming the stored object failed"
        }
    }

    public var description: String { "\(code): \(message)" }
}
