import Bundle
import JSON
import Registry

/// An execution target with its endpoints parsed once into a matcher, as the gateway caches it.
///
/// Invariant: `matcher` holds exactly the target's endpoints that parse; the registry stores
/// only validated manifests, so none is dropped in practice.
public struct ResolvedTarget: Sendable {
    public let target: ExecutionTarget
    public let matcher: EndpointMatcher

    public init(_ target: ExecutionTarget) {
        self.target = target
        self.matcher = EndpointMatcher(Self.endpoints(target))
    }

    /// The stored `[{method, path, handler}]` array as manifest endpoints.
    static func endpoints(_ target: ExecutionTarget) -> [Endpoint] {
        (target.endpoints.arrayValue ?? []).compactMap { item in
            guard let method = item["method"]?.stringValue.flatMap(Endpoint.Method.init(rawValue:)),
                  let pathText = item["path"]?.stringValue, let path = try? EndpointPath(pathText),
                  let handler = item["handler"]?.stringValue
            else { return nil }
            return Endpoint(method: method, path: path, handler: handler)
        }
    }
}
