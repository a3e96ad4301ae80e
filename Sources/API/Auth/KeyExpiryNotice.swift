import FastCGI
import Metrics
import Registry

/// Tells the holder of a key that expires soon, on every answer it gets: the `Warning` header of
/// `APIKeyExpiryWarning`, and one count per warned request (for the
/// `exthost_api_key_expiring_requests_total` metric).
///
/// Invariant: a response gets at most one such header, and only when the key is inside the
/// configured window; answers for other keys are left exactly as they were.
public struct KeyExpiryNotice: Sendable {
    static let metricName = "exthost_api_key_expiring_requests_total"
    static let metricHelp = "Requests authenticated with an API key inside the EXTHOST_KEY_EXPIRY_WARNING_DAYS window."

    public let warning: APIKeyExpiryWarning
    private let counted: @Sendable () -> Void

    public init(warning: APIKeyExpiryWarning = .standard, counted: @escaping @Sendable () -> Void = {}) {
        self.warning = warning
        self.counted = counted
    }

    /// The notice a worker runs with: the window from `EXTHOST_KEY_EXPIRY_WARNING_DAYS`, each
    /// warned request counted in `metrics`.
    public init(environment: [String: String], metrics: MetricsRegistry) throws {
        let expiring = metrics.counter(Self.metricName, help: Self.metricHelp)
        self.init(warning: try APIKeyExpiryWarning(environment: environment)) { expiring.increment() }
    }

    public func annotate(_ response: inout Response, expiry: APIKeyExpiry?) {
        guard let value = warning.headerValue(for: expiry) else { return }
        counted()
        // The value is built from a uuid and a Postgres timestamp: it always passes validation.
        try? response.headers.add("Warning", value)
    }
}
