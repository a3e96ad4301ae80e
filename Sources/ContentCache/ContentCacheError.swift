import Bundle
import ExthostCore
import Glibc

/// Why the content cache refused or failed an operation.
///
/// Every rejection of the bundle itself (signature, hash, format) is a 422; a failure of the
/// byte source is a 502, because the cache only relays it; file-system failures are 500s.
public enum ContentCacheError: HTTPError {
    /// An extension id or content hash that is not in canonical form, so it may not become a path component.
    case invalidID(kind: String, value: String)
    /// The signature policy refused the bundle before any byte was fetched.
    case signatureRejected(BundleSignatureError)
    /// The bytes decoded to a bundle, but not to the one named by the hash.
    case hashMismatch(expected: ContentHash, actual: ContentHash)
    /// The bytes are not a valid bundle (zstd frame, tar archive or limits); since only validated
    /// bundles are published, the stored object was corrupted or tampered with.
    case bundleInvalid(ContentHash, underlying: any Error)
    /// The source closure failed while producing the bytes (bundle store, network).
    case sourceFailed(ContentHash, underlying: any Error)
    /// The tree of this hash is not in the cache.
    case notPresent(ContentHash)
    /// The bundle has no `ui/` directory to link to.
    case noUI(ContentHash)
    /// Another process has the cache root open (only one owner may clean `tmp/` and evict).
    case locked(root: String)
    /// A system call failed.
    case io(operation: String, path: String, errorNumber: Int32)

    public var status: HTTPStatus {
        switch self {
        case .invalidID: .badRequest
        case .signatureRejected, .hashMismatch, .bundleInvalid: .unprocessableEntity
        case .sourceFailed: .badGateway
        case .notPresent, .noUI: .notFound
        case .locked: .serviceUnavailable
        case .io: .internalServerError
        }
    }

    public var code: String {
        switch self {
        case .invalidID: "CACHE_INVALID_ID"
        case .signatureRejected: "CACHE_SIGNATURE_REJECTED"
        case .hashMismatch: "CACHE_HASH_MISMATCH"
        case .bundleInvalid: "CACHE_BUNDLE_INVALID"
        case .sourceFailed: "CACHE_SOURCE_FAILED"
        case .notPresent: "CACHE_NOT_PRESENT"
        case .noUI: "CACHE_NO_UI"
        case .locked: "CACHE_LOCKED"
        case .io: "CACHE_IO"
        }
    }

    public var message: String {
        switch self {
        case .invalidID(let kind, let value):
            "\(String(value.prefix(80)).debugDescription) is not a canonical \(kind)"
        case .signatureRejected(let error):
            "the bundle's signature is refused (\(error.code)): \(error.message)"
        case .hashMismatch(let expected, let actual):
            "the stored object hashes to \(actual), not \(expected): it was changed after publication"
        case .bundleInvalid(let hash, let underlying):
            "the stored object of \(hash) is not a valid bundle (corrupted or tampered with): \(Self.describe(underlying))"
        case .sourceFailed(let hash, let underlying):
            "reading the bundle \(hash) failed: \(Self.describe(underlying))"
        case .notPresent(let hash):
            "\(hash) is not in the content cache"
        case .noUI(let hash):
            "the bundle \(hash) has no ui/ directory"
        case .locked(let root):
            "another process owns the content cache at '\(root)'"
        case .io(let operation, let path, let errorNumber):
            "\(operation) '\(path)' failed: \(String(cString: strerror(errorNumber)))"
        }
    }

    /// Only a typed error's message is safe to show; anything else is named by its code alone.
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? any HTTPError else { return "internal error" }
        return "\(error.code): \(error.message)"
    }
}
