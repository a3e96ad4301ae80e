import ExthostCore

/// Why an upload or a finalize was refused, beyond bad JSON (`InputError`), registry
/// conflicts (`RegistryError`) and bundle rejections (manifest and signature errors, 422).
public enum PublishingError: HTTPError, Equatable {
    /// The declared or received size is above `EXTHOST_MAX_BUNDLE_BYTES`.
    case bundleTooLarge(limit: Int64)
    /// The upload body is not `application/octet-stream` or `application/zstd`.
    case unsupportedMediaType(String)
    /// The body does not start with the zstd frame magic.
    case notZstd
    /// The received size differs from the declared one.
    case sizeMismatch(declared: Int64, received: Int64)
    /// The content hash differs from the declared one.
    case hashMismatch(declared: String, actual: String)
    /// Finalize found nothing in staging: the client has not (completely) uploaded yet.
    case uploadIncomplete(String)
    /// The client stopped sending before the declared size arrived.
    case uploadInterrupted
    /// Every upload-proxy slot of this worker is streaming a body; retry after the given seconds.
    case uploadsBusy(retryAfterSeconds: Int)
    /// The upload-proxy body is longer than its declared `size`.
    case exceedsDeclaredSize(declared: Int64)

    public var status: HTTPStatus {
        switch self {
        case .bundleTooLarge, .exceedsDeclaredSize: .payloadTooLarge
        case .unsupportedMediaType, .notZstd: .unsupportedMediaType
        case .sizeMismatch, .hashMismatch, .uploadInterrupted: .badRequest
        case .uploadIncomplete: .conflict
        case .uploadsBusy: .tooManyRequests
        }
    }

    public var code: String {
        switch self {
        case .bundleTooLarge, .exceedsDeclaredSize: "BUNDLE_TOO_LARGE"
        case .unsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE"
        case .notZstd: "NOT_ZSTD"
        case .sizeMismatch: "SIZE_MISMATCH"
        case .hashMismatch: "HASH_MISMATCH"
        case .uploadIncomplete: "UPLOAD_INCOMPLETE"
        case .uploadInterrupted: "UPLOAD_INTERRUPTED"
        case .uploadsBusy: "UPLOADS_BUSY"
        }
    }

    public var message: String {
        switch self {
        case .bundleTooLarge(let limit): "the bundle is larger than \(limit) bytes (EXTHOST_MAX_BUNDLE_BYTES)"
        case .unsupportedMediaType(let type):
            "Content-Type \(type.isEmpty ? "(none)" : type) is not accepted; send application/zstd or application/octet-stream"
        case .notZstd: "the body is not a zstd frame; upload the bundle.tar.zst that `exthost pack` makes"
        case .sizeMismatch(let declared, let received): "declared \(declared) bytes but received \(received)"
        case .hashMismatch(let declared, let actual): "declared \(declared) but the uploaded bytes hash to \(actual)"
        case .uploadIncomplete(let id): "upload \(id) has no complete object in staging yet; PUT the bundle (or its parts) first"
        case .uploadInterrupted: "the upload stopped before the declared size arrived; nothing was registered"
        case .uploadsBusy(let seconds): "every upload slot of this server is busy; retry in \(seconds) seconds or use initiate-upload"
        case .exceedsDeclaredSize(let declared): "the body is longer than the declared size of \(declared) bytes"
        }
    }

    public var extraHeaders: [(name: String, value: String)] {
        if case .uploadsBusy(let seconds) = self { return [("Retry-After", String(seconds))] }
        return []
    }

    public var field: String? {
        switch self {
        case .sizeMismatch, .exceedsDeclaredSize: "size"
        case .hashMismatch: "declaredHash"
        default: nil
        }
    }
}
