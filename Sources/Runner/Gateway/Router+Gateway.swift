import Bundle
import FastCGI

extension Router {
    /// `ANY /api/ext/{extensionId}/{path…}`: the extension gateway, for every method an
    /// endpoint may declare, plus `OPTIONS` (`HEAD` comes with `GET`). Its own errors are
    /// `no-store`, since an install enabled a moment later must not stay a cached 404.
    public mutating func addGatewayRoute(_ handler: GatewayHandler) {
        for method in Endpoint.Method.allCases.map(\.rawValue) + ["OPTIONS"] {
            add(method, GatewayHandler.pathPrefix + ":extensionId/*path") { request in
                try answeringErrorsUncached(request, handler.respond)
            }
        }
    }
}
