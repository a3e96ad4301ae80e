import ContentCache

/// Why the daemon refused to start; it exits 1 with this in the log rather than run half-configured.
public enum CacheFillStartError: Error, CustomStringConvertible {
    case invalidConfiguration([String])
    /// `SIGNING_TRUST_BUNDLE` names a file that cannot be read or parsed: failing closed means
    /// not starting, rather than accepting unsigned bundles.
    case trustBundleUnreadable(path: String, reason: String)
    case cache(ContentCacheError)
    case bundleStore(String)
    case socket(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let problems): "invalid configuration: " + problems.joined(separator: "; ")
        case .trustBundleUnreadable(let path, let reason): "SIGNING_TRUST_BUNDLE \(path): \(reason)"
        case .cache(let error): "content cache: \(error.code): \(error.message)"
        case .bundleStore(let reason): "bundle store: \(reason)"
        case .socket(let reason): "socket: \(reason)"
        }
    }
}
