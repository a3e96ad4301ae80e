import ExthostCore
/// Finds which of an extension's endpoints serves a request and what its captures hold.
///
/// Precedence is decided segment by segment from the left: a literal beats a `:param`, which
/// beats a `*rest`; a path that ends where the pattern ends beats a `*rest` capturing nothing.
/// Among equally specific endpoints (impossible in a validated manifest) the first declared wins.
public struct EndpointMatcher: Sendable {
    /// Endpoints, most specific first.
    private let endpoints: [Endpoint]

    public init(_ endpoints: [Endpoint]) {
        let ranked = endpoints.enumerated().map { (rank: Self.specificity($0.element.path), order: $0.offset, endpoint: $0.element) }
        self.endpoints = ranked.sorted { left, right in
            left.rank == right.rank ? left.order < right.order : left.rank.lexicographicallyPrecedes(right.rank)
        }.map(\.endpoint)
    }

    public init(manifest: Manifest) {
        self.init(manifest.endpoints)
    }

    /// Matches a raw request path: the part after `/api/ext/{extensionId}` (`/hello/ada`, or `/`
    /// or empty for the root), without the query. Each segment is percent-decoded on its own, so
    /// `%2F` stays inside its segment. Nil when nothing matches or the encoding is malformed.
    /// The method must match exactly (`HEAD` is not mapped to `GET`).
    public func match(method: String, path: String) -> (endpoint: Endpoint, params: [String: String])? {
        guard let segments = Self.decodedSegments(path) else { return nil }
        return match(method: method, segments: segments)
    }

    /// Matches path segments that are already split and percent-decoded.
    public func match(method: String, segments: [String]) -> (endpoint: Endpoint, params: [String: String])? {
        for endpoint in endpoints where endpoint.method.rawValue == method {
            if let params = Self.captures(of: endpoint.path, in: segments) { return (endpoint, params) }
        }
        return nil
    }

    /// The methods of the endpoints whose path matches, for a 405 `Allow` header; empty means 404.
    public func allowedMethods(path: String) -> [String] {
        guard let segments = Self.decodedSegments(path) else { return [] }
        var methods: [String] = []
        for endpoint in endpoints where !methods.contains(endpoint.method.rawValue) {
            if Self.captures(of: endpoint.path, in: segments) != nil { methods.append(endpoint.method.rawValue) }
        }
        return methods
    }

    static func captures(of pattern: EndpointPath, in segments: [String]) -> [String: String]? {
        var params: [String: String] = [:]
        for (position, segment) in pattern.segments.enumerated() {
            switch segment {
            case .rest(let name):
                params[name] = segments.dropFirst(position).joined(separator: "/")
                return params
            case .literal(let literal):
                guard position < segments.count, segments[position] == literal else { return nil }
            case .parameter(let name):
                guard position < segments.count, !segments[position].isEmpty else { return nil }
                params[name] = segments[position]
            }
        }
        return pattern.segments.count == segments.count ? params : nil
    }

    /// Per segment 0 for a literal, 1 for `:param`, 2 for `*rest`, then -1 for the end of the pattern.
    private static func specificity(_ path: EndpointPath) -> [Int] {
        path.segments.map { segment in
            switch segment {
            case .literal: 0
            case .parameter: 1
            case .rest: 2
            }
        } + [-1]
    }

    /// `/a/b%20c` → `["a", "b c"]`; `/` and the empty string → `[]`; nil for malformed escapes or non-UTF-8.
    static func decodedSegments(_ path: String) -> [String]? {
        var raw = Substring(path)
        if raw.hasPrefix("/") { raw = raw.dropFirst() }
        if raw.isEmpty { return [] }
        var segments: [String] = []
        for part in raw.split(separator: "/", omittingEmptySubsequences: false) {
            guard let decoded = PercentDecoding.decode(part, plusIsSpace: false) else { return nil }
            segments.append(decoded)
        }
        return segments
    }
}
