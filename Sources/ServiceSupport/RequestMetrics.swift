import FastCGI
import Metrics

/// The request metrics every worker pool exports: requests by route, method and status, their
/// latency by route, and body bytes in and out.
///
/// Invariant: labels come from the route pattern, never the raw path, so ids in paths do not
/// create a series each; a request no route matched counts under route "unmatched".
struct RequestMetrics: Sendable {
    let registry: MetricsRegistry
    let bytesIn: Counter
    let bytesOut: Counter

    init(registry: MetricsRegistry) {
        self.registry = registry
        bytesIn = registry.counter("exthost_http_request_body_bytes_total", help: "Request body bytes read.")
        bytesOut = registry.counter("exthost_http_response_bytes_total", help: "Response bytes written, head and body.")
    }

    func record(_ request: CompletedRequest) {
        let route = request.route ?? "unmatched"
        registry.counter("exthost_http_requests_total", help: "Requests served, by route pattern, method and status.",
                         labels: [("route", route), ("method", request.method), ("status", String(request.status))]).increment()
        registry.histogram("exthost_http_request_duration_seconds", help: "Time from the request's arrival to its last byte written.",
                           buckets: Histogram.latencySeconds, labels: [("route", route)]).observe(request.duration)
        bytesIn.increment(by: request.bytesIn)
        bytesOut.increment(by: request.bytesOut)
    }
}
