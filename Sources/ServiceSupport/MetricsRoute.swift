import FastCGI
import Metrics

extension Router {
    /// `GET /metrics`: the process's metrics in the Prometheus text format. nginx limits who may
    /// ask (local addresses only); the numbers hold no secrets, but they do describe the tenants' load.
    public mutating func addMetricsRoute(_ metrics: MetricsRegistry) {
        get("/metrics") { _ in
            var headers = HTTPHeaders()
            try headers.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            try headers.add("Cache-Control", "no-store")
            return Response(headers: headers, body: .bytes(Array(metrics.render().utf8)))
        }
    }
}
