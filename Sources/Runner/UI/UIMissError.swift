import Bundle
import ExthostCore

/// Why the runner answers a UI cache miss with an error instead of a file.
///
/// Every case is a 404: a client may not learn whether an extension exists, is installed
/// elsewhere, or merely lacks the file. Failures of the registry or of cachefill keep their own
/// typed errors (503, 504, 502).
public enum UIMissError: HTTPError, Equatable {
    /// The URL is not `/ext-ui/<extension uuid>/<64-hex hash>/<path>` in canonical form.
    case invalidPath(reason: String)
    /// No tenant has this extension enabled at this content hash.
    case notEnabled(extensionID: String, hash: ContentHash)
    /// The tree is there but holds no such file (or the directory has no `index.html`).
    case fileNotFound(path: String)

    public var status: HTTPStatus { .notFound }

    public var code: String {
        switch self {
        case .invalidPath: "UI_PATH_INVALID"
        case .notEnabled: "UI_NOT_FOUND"
        case .fileNotFound: "UI_FILE_NOT_FOUND"
        }
    }

    public var message: String {
        switch self {
        case .invalidPath(let reason): "not an extension UI URL: \(reason)"
        case .notEnabled(let extensionID, let hash): "no enabled install serves the UI of \(extensionID) at \(hash)"
        case .fileNotFound(let path): "the extension UI has no file \(String(path.prefix(200)).debugDescription)"
        }
    }
}
