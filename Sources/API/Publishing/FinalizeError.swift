import ExthostCore

/// Why a finalize stopped for a reason of its own, beyond input, upload, registry, store and
/// bundle errors (each of which keeps its own type and code).
public enum FinalizeError: HTTPError, Equatable {
    /// The staging object was replaced while finalize read it (the presigned PUT URL is still
    /// valid): what was verified is not what would be published.
    case stagingChanged(uploadID: String)
    /// A canonical object is already stored under this content hash with another size: the
    /// store was written outside exthost or is damaged; an operator must look.
    case canonicalObjectMismatch(key: String)
    /// The session says finalized but no version holds its content hash.
    case publicationMissing(uploadID: String)

    public var status: HTTPStatus {
        switch self {
        case .stagingChanged: .conflict
        case .canonicalObjectMismatch, .publicationMissing: .internalServerError
        }
    }

    public var code: String {
        switch self {
        case .stagingChanged: "STAGING_CHANGED"
        case .canonicalObjectMismatch: "CANONICAL_OBJECT_MISMATCH"
        case .publicationMissing: "PUBLICATION_MISSING"
        }
    }

    public var message: String {
        switch self {
        case .stagingChanged(let id):
            "the staged bundle of upload \(id) changed while it was being verified; upload once, then finalize"
        case .canonicalObjectMismatch(let key):
            "the bundle store already holds \(key) with different content; nothing was registered (an operator must check the store)"
        case .publicationMissing(let id):
            "upload \(id) is finalized but its version is not in the registry; start a new upload"
        }
    }
}
