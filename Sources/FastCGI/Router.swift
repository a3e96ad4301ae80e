import ExthostCore
/// Maps a method and a path to a handler.
///
/// Patterns are `/`-separated segments: a literal, `:name` (one segment, captured) or a final
/// `*name` (the rest of the path, captured with its `/`s, possibly empty). Literal segments win
/// over captures when two routes could match. `HEAD` is served by `GET` routes.
public struct Router: Sendable {
    public typealias Handler = @Sendable (Request) throws -> Response

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        case rest(String)
    }

    struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        let handler: Handler
    }

    private var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        let segments: [Segment] = pattern.split(separator: "/").map { part in
            if part.hasPrefix(":") { return .parameter(String(part.dropFirst())) }
            if part.hasPrefix("*") { return .rest(String(part.dropFirst())) }
            return .literal(String(part))
        }
        precondition(
            segments.dropLast().allSatisfy { if case .rest = $0 { false } else { true } },
            "`*name` must be the last segment of \(pattern)"
        )
        routes.append(Route(method: method.uppercased(), pattern: pattern, segments: segments, handler: handler))
        // Most specific first: more literals earlier in the path win.
        routes.sort { Self.specificity($0.segments).lexicographicallyPrecedes(Self.specificity($1.segments)) }
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add("POST", pattern, handler) }
    public mutating func put(_ pattern: String, _ handler: @escaping Handler) { add("PUT", pattern, handler) }
    public mutating func patch(_ pattern: String, _ handler: @escaping Handler) { add("PATCH", pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add("DELETE", pattern, handler) }

    public enum Match {
        case found(Handler, parameters: [String: String])
        case notFound
        case methodNotAllowed(allowed: [String])
    }

    public func match(method: String, segments: [String]) -> Match {
        switch route(method: method, segments: segments) {
        case .found(let route, let parameters): .found(route.handler, parameters: parameters)
        case .notFound: .notFound
        case .methodNotAllowed(let allowed): .methodNotAllowed(allowed: allowed)
        }
    }

    private enum RouteMatch {
        case found(Route, parameters: [String: String])
        case notFound
        case methodNotAllowed(allowed: [String])
    }

    private func route(method: String, segments: [String]) -> RouteMatch {
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.capture(route.segments, segments) else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(route, parameters: parameters)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// Routes the request and runs its handler; routing failures are thrown as `RequestError`.
    public func respond(to request: Request) throws -> Response {
        switch route(method: request.method, segments: request.pathSegments) {
        case .found(let route, let parameters):
            request.parameters = parameters
            request.route = route.pattern
            return try route.handler(request)
        case .notFound:
            throw RequestError.notFound(path: request.path)
        case .methodNotAllowed(let allowed):
            throw RequestError.methodNotAllowed(method: request.method, allowed: allowed)
        }
    }

    static func capture(_ pattern: [Segment], _ path: [String]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (index, segment) in pattern.enumerated() {
            switch segment {
            case .rest(let name):
                parameters[name] = path.dropFirst(index).joined(separator: "/")
                return parameters
            case .literal(let literal):
                guard index < path.count, path[index] == literal else { return nil }
            case .parameter(let name):
                guard index < path.count, !path[index].isEmpty else { return nil }
                parameters[name] = path[index]
            }
        }
        return pattern.count == path.count ? parameters : nil
    }

    /// Sort key: per segment 0 for a literal, 1 for `:name`, 2 for `*name`; the end marks -1 so
    /// an exact route beats a `*name` route that would also match with an empty rest.
    private static func specificity(_ segments: [Segment]) -> [Int] {
        segments.map { segment in
            switch segment {
            case .literal: 0
            case .parameter: 1
            case .rest: 2
            }
        } + [-1]
    }
}
