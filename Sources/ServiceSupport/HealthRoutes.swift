import FastCGI

extension Router {
    /// `GET /healthz`: the process is up and serving.
    public mutating func addHealthRoutes() {
        get("/healthz") { _ in Response.json("{\"status\":\"ok\"}") }
    }
}
