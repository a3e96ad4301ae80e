import Bundle
import BundleStore
import ContentCache
import ExthostCore
import Registry

/// Why the daemon could not make a tree present; its code and message are what `ERR` carries.
///
/// Invariant: every message is safe to show a client (the wrapped errors' messages already
/// are); details for operators go to the log, never to the socket.
indirect enum FillFailure: HTTPError {
    /// No registered bundle has this hash.
    case notRegistered(ContentHash)
    /// The registry could not be asked (Postgres down or failing).
    case registry(RegistryError)
    /// The content cache refused or failed the install (signature, hash, format, store, disk).
    case cache(ContentCacheError)
    /// The bundle failed recently for a reason of its own; it is not fetched again before then.
    case quarantined(FillFailure, retryInSeconds: Int)
    /// The daemon's own wait for the fill ended first; the fill goes on.
    case timedOut(seconds: Int)
    /// The daemon is stopping and takes no new fills.
    case stopping
    /// Too many clients are connected at once.
    case busy

    var status: HTTPStatus {
        switch self {
        case .notRegistered: .notFound
        case .registry, .stopping, .busy: .serviceUnavailable
        case .cache(let error): error.status
        case .quarantined(let failure, _): failure.status
        case .timedOut: .gatewayTimeout
        }
    }

    var code: String {
        switch self {
        case .notRegistered: "NOT_REGISTERED"
        case .registry: "REGISTRY_UNAVAILABLE"
        case .cache(let error): error.code
        case .quarantined(let failure, _): failure.code
        case .timedOut: "FILL_TIMEOUT"
        case .stopping: "SHUTTING_DOWN"
        case .busy: "BUSY"
        }
    }

    var message: String {
        switch self {
        case .notRegistered(let hash): "no registered bundle has the content hash \(hash)"
        case .registry(let error): "the registry is unavailable (\(error.code))"
        case .cache(let error): error.message
        case .quarantined(let failure, let seconds): "\(failure.message) (not fetched again for \(seconds) s)"
        case .timedOut(let seconds): "the fill did not finish within \(seconds) s; it goes on, ask again"
        case .stopping: "the cache-fill daemon is stopping"
        case .busy: "too many connections; try again"
        }
    }

    /// The stored object itself is bad (tampered, corrupted, badly signed): fetching it again
    /// soon would only give the same answer, so the hash is quarantined for a while.
    var isBundleFault: Bool {
        switch self {
        case .cache(.hashMismatch), .cache(.bundleInvalid), .cache(.signatureRejected): true
        default: false
        }
    }

    /// A failure of the bundle store that another attempt may not meet (5xx, timeouts, a
    /// connection cut mid-stream); a missing object or refused credentials are not.
    var isTransientStoreFailure: Bool {
        guard case .cache(.sourceFailed(_, let underlying)) = self else { return false }
        switch underlying as? BundleStoreError {
        case .notFound, .misconfigured, .invalidKey: return false
        case .some(.sinkFailed(let inner)) where inner is FillAbandoned: return false
        default: return !(underlying is FillAbandoned)
        }
    }
}

/// Thrown into a running download when the daemon stops, so the fill ends at once and leaves
/// nothing behind (the cache removes its staging directory).
struct FillAbandoned: Error {}
