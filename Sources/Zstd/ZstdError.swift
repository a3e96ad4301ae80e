import ExthostCore

/// Why a zstd stream was rejected or could not be produced.
///
/// Decoding failures are the client's bundle being wrong (422); an encoder failure is ours (500).
public enum ZstdError: HTTPError, Equatable {
    /// The input ended before the end of the frame.
    case truncated
    /// Bytes follow the end of the first (and only accepted) frame.
    case trailingData
    /// libzstd rejected the input; `reason` is its error name.
    case corrupt(reason: String)
    /// The decompressed output would exceed `limit` bytes.
    case tooLargeExpanded(limit: Int)
    /// libzstd failed while compressing; `reason` is its error name.
    case compressionFailed(reason: String)

    public var status: HTTPStatus {
        switch self {
        case .compressionFailed: .internalServerError
        default: .unprocessableEntity
        }
    }

    public var code: String {
        switch self {
        case .truncated: "ZSTD_TRUNCATED"
        case .trailingData: "ZSTD_TRAILING_DATA"
        case .corrupt: "ZSTD_CORRUPT"
        case .tooLargeExpanded: "BUNDLE_TOO_LARGE_EXPANDED"
        case .compressionFailed: "ZSTD_COMPRESSION_FAILED"
        }
    }

    public var message: String {
        switch self {
        case .truncated: "the zstd stream ends in the middle of a frame"
        case .trailingData: "data follows the end of the zstd frame (exactly one frame is accepted)"
        case .corrupt(let reason): "the zstd stream is corrupt: \(reason)"
        case .tooLargeExpanded(let limit): "the bundle expands to more than \(limit) bytes"
        case .compressionFailed(let reason): "zstd compression failed: \(reason)"
        }
    }
}
