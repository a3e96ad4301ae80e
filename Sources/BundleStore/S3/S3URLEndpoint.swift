/// The root of an S3 service (`STORAGE_S3_ENDPOINT`): scheme, host and port only.
///
/// Invariant: `scheme` is `http` or `https`; `host` is a lowercase DNS name, a dotted IPv4
/// address or a bracketed IPv6 address; `port` is nil when it is the scheme's default. There is
/// never a path, query, fragment or user information.
public struct S3Endpoint: Sendable, Equatable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int?

    /// Parses `http[s]://host[:port]` with at most one trailing `/`.
    public init(parsing text: String) throws(S3ConfigurationError) {
        func invalid(_ reason: String) -> S3ConfigurationError { .invalid(variable: S3Configuration.Variable.endpoint, reason: reason) }
        let lowered = text.lowercased()
        let scheme: String
        if lowered.hasPrefix("https://") {
            scheme = "https"
        } else if lowered.hasPrefix("http://") {
            scheme = "http"
        } else {
            throw invalid("must start with http:// or https://")
        }
        var authority = Substring(text.dropFirst(scheme.count + 3))
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        if authority.contains("@") { throw invalid("must not contain user information (credentials belong in STORAGE_S3_ACCESS_KEY and STORAGE_S3_SECRET_KEY)") }
        if authority.contains(where: { "/?#".contains($0) }) { throw invalid("must not have a path, query or fragment") }

        let hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("has an unterminated IPv6 address") }
            hostPart = authority[...close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw invalid("has text after the IPv6 address") }
                portPart = rest.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
        }

        let host = hostPart.lowercased()
        guard Self.isIPv6Literal(host) || Self.isIPv4(host) || Self.isDNSName(host) else {
            throw invalid("has an invalid host (a DNS name, an IPv4 address or a bracketed IPv6 address)")
        }
        var port: Int?
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy(\.isASCIIDigit), let number = Int(portPart), (1...65535).contains(number) else {
                throw invalid("has an invalid port (1...65535)")
            }
            port = number
        }
        self.init(scheme: scheme, host: host, port: port)
    }

    /// The AWS regional endpoint `https://s3.<region>.amazonaws.com`.
    public static func aws(region: String) -> S3Endpoint {
        S3Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com", port: nil)
    }

    init(scheme: String, host: String, port: Int?) {
        self.scheme = scheme
        self.host = host
        self.port = port == Self.defaultPort(scheme: scheme) ? nil : port
    }

    /// True for IPv4 and IPv6 literals, which cannot carry a bucket name as a subdomain.
    public var isIPAddress: Bool { Self.isIPv4(host) || Self.isIPv6Literal(host) }

    public var description: String { "\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")" }

    static func defaultPort(scheme: String) -> Int { scheme == "https" ? 443 : 80 }

    static func isIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCIIDigit) && Int(part)! <= 255
        }
    }

    static func isIPv6Literal(_ host: String) -> Bool {
        guard host.hasPrefix("["), host.hasSuffix("]"), host.count > 2 else { return false }
        let inner = host.dropFirst().dropLast()
        return inner.contains(":") && inner.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }

    /// Lowercase LDH labels of 1...63 characters, 253 characters in all; the last label is not
    /// all digits, so that a malformed IPv4 address is not taken for a name.
    static func isDNSName(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard let last = labels.last, !last.allSatisfy(\.isASCIIDigit) else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCIIDigit || ("a"..."z").contains($0) || $0 == "-" }
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
