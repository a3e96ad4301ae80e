import FastCGI
import Metrics

/// The request metrics every worker pool exports: requests by route, method and status, error
/// answers by route and code (finalize outcomes, execution failures), latency by route, and
/// body bytes in (uploads) and out by route.
///
/// Invariant: labels come from the route pattern, never the raw path, so ids in paths do not
/// create a series each; a request no route matched counts under route "unmatched".
struct RequestMetrics: Sendable {
    let registry: MetricsRegistry

    init(registry: MetricsRegistry) {
        self.registry = registry
    }

    func record(_ request: CompletedRequest) {
        let route = request.route ?? "unmatched"
        registry.counter("exthost_http_requests_total", help: "Requests served, by route pattern, method and status.",
                         labels: [("route", route), ("method", request.method), ("status", String(request.status))]).increment()
        registry.histogram("exthost_http_request_duration_seconds", help: "Time from the request's arrival to its last byte written.",
                           buckets: Histogram.latencySeconds, labels: [("route", route)]).observe(request.duration)
        if let code = request.errorCode {
            registry.counter("exthost_http_errors_total", help: "Error answers, by route pattern and error code.",
                             labels: [("route", route), ("code", code)]).increment()
        }
        registry.counter("exthost_http_request_body_bytes_total", help: "Request body bytes read (uploads), by route pattern.",
                         labels: [("route", route)]).increment(by: request.bytesIn)
        registry.counter("exthost_http_response_bytes_total", help: "Response bytes written, head and body, by route pattern.",
                         labels: [("route", route)]).increment(by: request.bytesOut)
    }
}
