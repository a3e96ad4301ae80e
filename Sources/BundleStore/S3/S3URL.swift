import ExthostCore

/// One query item, decoded: the wire and canonical forms encode it.
public struct S3QueryItem: Sendable, Equatable {
    public let name: String
    public let value: String

    /// A bare flag such as `?uploads` is an item with an empty value (`uploads=`).
    public init(_ name: String, _ value: String = "") {
        self.name = name
        self.value = value
    }
}

/// An S3 request URL split the way SigV4 signs it.
///
/// Invariant: `host` carries no port and `port` is nil for the scheme's default; `path` is the
/// request-line path, already percent-encoded (it is signed as is for S3); `query` holds decoded
/// items, encoded when rendered.
public struct S3URL: Sendable, Equatable {
    public let scheme: String
    public let host: String
    public let port: Int?
    public let path: String
    public let query: [S3QueryItem]

    public init(scheme: String, host: String, port: Int? = nil, path: String, query: [S3QueryItem] = []) {
        precondition(scheme == "http" || scheme == "https", "S3URL: scheme must be http or https")
        // Bytes, not Characters: "/" followed by a combining mark is one Character that is not "/".
        precondition(path.utf8.first == UInt8(ascii: "/"), "S3URL: the path must start with /")
        self.scheme = scheme
        self.host = host
        self.port = port == S3Endpoint.defaultPort(scheme: scheme) ? nil : port
        self.path = path
        self.query = query
    }

    public init(endpoint: S3Endpoint, path: String, query: [S3QueryItem] = []) {
        self.init(scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port, path: path, query: query)
    }

    /// The URL of object `key` in `bucket`: `endpoint/bucket/key` in path style, otherwise
    /// `bucket.endpoint-host/key`. Each key segment is encoded, `/` is kept.
    public static func object(
        endpoint: S3Endpoint,
        bucket: String,
        key: String,
        query: [S3QueryItem] = [],
        pathStyle: Bool
    ) throws(S3URLError) -> S3URL {
        try S3URLError.validate(key: key)
        return at(endpoint: endpoint, bucket: bucket, encodedPath: SigV4Encoding.encode(key, keepSlash: true), query: query, pathStyle: pathStyle)
    }

    /// The URL of `bucket` itself, for ListObjectsV2 and other bucket operations.
    public static func bucket(endpoint: S3Endpoint, bucket: String, query: [S3QueryItem] = [], pathStyle: Bool) -> S3URL {
        at(endpoint: endpoint, bucket: bucket, encodedPath: "", query: query, pathStyle: pathStyle)
    }

    private static func at(endpoint: S3Endpoint, bucket: String, encodedPath: String, query: [S3QueryItem], pathStyle: Bool) -> S3URL {
        precondition(S3Configuration.isValidBucketName(bucket), "S3URL: invalid bucket name")
        if pathStyle {
            let path = "/" + bucket + (encodedPath.isEmpty ? "" : "/" + encodedPath)
            return S3URL(endpoint: endpoint, path: path, query: query)
        }
        precondition(!endpoint.isIPAddress, "S3URL: virtual-hosted style needs a DNS name endpoint")
        return S3URL(scheme: endpoint.scheme, host: bucket + "." + endpoint.host, port: endpoint.port, path: "/" + encodedPath, query: query)
    }

    /// The `Host` header value: the host, with the port when it is not the scheme's default.
    public var hostHeader: String { host + (port.map { ":\($0)" } ?? "") }

    /// The path and the encoded query, as on the request line.
    public var requestTarget: String {
        query.isEmpty ? path : path + "?" + SigV4Encoding.queryString(query)
    }

    /// The absolute URL.
    public var string: String { "\(scheme)://\(hostHeader)\(requestTarget)" }

    /// The same URL with `items` after the existing query items.
    public func appending(query items: [S3QueryItem]) -> S3URL {
        S3URL(scheme: scheme, host: host, port: port, path: path, query: query + items)
    }
}

extension S3URL: CustomStringConvertible {
    public var description: String { string }
}

extension S3Configuration {
    /// The URL of object `key` in the configured bucket, in the configured addressing style.
    public func objectURL(key: String, query: [S3QueryItem] = []) throws(S3URLError) -> S3URL {
        try S3URL.object(endpoint: endpoint, bucket: bucket, key: key, query: query, pathStyle: forcePathStyle)
    }

    /// The URL of the configured bucket.
    public func bucketURL(query: [S3QueryItem] = []) -> S3URL {
        S3URL.bucket(endpoint: endpoint, bucket: bucket, query: query, pathStyle: forcePathStyle)
    }
}

/// An object key that cannot be addressed safely.
public enum S3URLError: HTTPError, Equatable {
    case invalidKey(reason: String)

    public static let maximumKeyBytes = 1024

    public var status: HTTPStatus { .internalServerError }

    public var code: String { "STORE_KEY_INVALID" }

    public var message: String {
        switch self {
        case .invalidKey(let reason): "invalid object key: \(reason)"
        }
    }

    /// S3 keys are 1...1024 UTF-8 bytes; `.` and `..` segments are refused because HTTP clients
    /// (curl among them) remove them from URLs before sending, so another object would be hit,
    /// and control characters because they have no place in a key this product writes.
    static func validate(key: String) throws(S3URLError) {
        guard !key.isEmpty else { throw .invalidKey(reason: "empty") }
        guard key.utf8.count <= maximumKeyBytes else { throw .invalidKey(reason: "longer than \(maximumKeyBytes) bytes") }
        guard !key.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { throw .invalidKey(reason: "contains a control character") }
        guard !key.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == "." || $0 == ".." }) else {
            throw .invalidKey(reason: "contains a '.' or '..' segment")
        }
    }
}
