import ExthostCore

/// Why reading, extracting or packing a bundle failed, beyond the zstd and tar rules
/// (`ZstdError`, `TarError`) and system-call failures (`FileSystemError`).
public enum ArchiveError: HTTPError, Equatable {
    /// No regular file `manifest.json` at the archive root.
    case manifestMissing
    case manifestTooLarge(limit: Int)
    case contentHashMismatch(expected: ContentHash, actual: ContentHash)
    case destinationExists(String)
    /// The directory being packed holds something other than regular files and directories.
    case unsupportedSourceFile(path: String, kind: String)
    /// A file changed size or type between listing the tree and reading it.
    case sourceChanged(String)

    public var status: HTTPStatus {
        switch self {
        case .destinationExists, .sourceChanged: .conflict
        default: .unprocessableEntity
        }
    }

    public var code: String {
        switch self {
        case .manifestMissing: "MANIFEST_MISSING"
        case .manifestTooLarge: "MANIFEST_TOO_LARGE"
        case .contentHashMismatch: "CONTENT_HASH_MISMATCH"
        case .destinationExists: "EXTRACT_DESTINATION_EXISTS"
        case .unsupportedSourceFile: "PACK_UNSUPPORTED_FILE"
        case .sourceChanged: "PACK_SOURCE_CHANGED"
        }
    }

    public var message: String {
        switch self {
        case .manifestMissing:
            "the bundle has no manifest.json at its root"
        case .manifestTooLarge(let limit):
            "manifest.json is larger than \(limit) bytes"
        case .contentHashMismatch(let expected, let actual):
            "the bundle's content hash is \(actual), expected \(expected)"
        case .destinationExists(let path):
            "the extraction destination '\(path)' already exists"
        case .unsupportedSourceFile(let path, let kind):
            "'\(path)' is a \(kind); a bundle holds only regular files and directories"
        case .sourceChanged(let path):
            "'\(path)' changed while it was being packed"
        }
    }
}
