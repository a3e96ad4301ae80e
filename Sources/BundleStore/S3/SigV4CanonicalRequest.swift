/// The AWS SigV4 canonical request of one HTTP request: the exact text whose hash is signed.
///
/// Invariant: header names are lowercase and sorted, each appears once (repeated fields are
/// joined with `,` in their original order), and values are trimmed with runs of spaces and tabs
/// collapsed; query items are encoded, then sorted by name and then by value.
struct SigV4CanonicalRequest: Sendable, Equatable {
    /// `host;x-amz-date`: the lowercase names of the signed headers, sorted, joined by `;`.
    let signedHeaders: String
    /// The full canonical request text (method, URI, query, headers, signed headers, payload hash).
    let text: String

    /// - Parameters:
    ///   - path: the path exactly as on the request line (already percent-encoded for S3).
    ///   - query: decoded names and values; the canonical form encodes them.
    ///   - headers: every header to sign, with any case and repeats.
    init(
        method: String,
        path: String,
        query: [S3QueryItem],
        headers: [(name: String, value: String)],
        payloadHash: String,
        pathRules: SigV4PathRules
    ) {
        precondition(!method.isEmpty && method.utf8.allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }, "SigV4: method must be uppercase letters")
        let canonicalHeaders = Self.canonicalHeaders(headers)
        signedHeaders = canonicalHeaders.map(\.name).joined(separator: ";")
        let headerLines = canonicalHeaders.map { $0.name + ":" + $0.value + "\n" }.joined()
        text = [
            method,
            Self.canonicalURI(path, rules: pathRules),
            Self.canonicalQuery(query),
            headerLines,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
    }

    static func canonicalURI(_ path: String, rules: SigV4PathRules) -> String {
        var uri = path.isEmpty ? "/" : path
        if rules.normalizePath { uri = SigV4Encoding.normalizedPath(uri) }
        if rules.doubleEncode { uri = SigV4Encoding.encode(uri, keepSlash: true) }
        return uri
    }

    static func canonicalQuery(_ items: [S3QueryItem]) -> String {
        let encoded = items.map { (name: SigV4Encoding.encode($0.name, keepSlash: false), value: SigV4Encoding.encode($0.value, keepSlash: false)) }
        return encoded
            .sorted { $0.name == $1.name ? utf8Precedes($0.value, $1.value) : utf8Precedes($0.name, $1.name) }
            .map { $0.name + "=" + $0.value }
            .joined(separator: "&")
    }

    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for header in headers {
            precondition(isToken(header.name), "SigV4: invalid header name")
            precondition(!header.value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }, "SigV4: header value with CR, LF or NUL")
            let name = header.name.lowercased()
            if values[name] == nil { order.append(name) }
            values[name, default: []].append(trimmedAndCollapsed(header.value))
        }
        return order.sorted(by: utf8Precedes).map { (name: $0, value: values[$0, default: []].joined(separator: ",")) }
    }

    /// Leading and trailing spaces and tabs removed, each inner run of them turned into one space.
    static func trimmedAndCollapsed(_ value: String) -> String {
        value.utf8
            .split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            .map { String(decoding: $0, as: UTF8.self) }
            .joined(separator: " ")
    }

    /// RFC 9110 token characters: what a field name may contain.
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    /// Byte order, which is what AWS sorts by (String's `<` is Unicode order).
    static func utf8Precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}

/// Which of the SigV4 path rules apply: every service but S3 normalizes the path and encodes the
/// request-line path a second time; S3 signs the request-line path exactly as sent.
public struct SigV4PathRules: Sendable, Equatable {
    public var normalizePath: Bool
    public var doubleEncode: Bool

    public init(normalizePath: Bool, doubleEncode: Bool) {
        self.normalizePath = normalizePath
        self.doubleEncode = doubleEncode
    }

    public static let s3 = SigV4PathRules(normalizePath: false, doubleEncode: false)
    public static let standard = SigV4PathRules(normalizePath: true, doubleEncode: true)
}
