import BundleStore
import FuzzSupport

/// One request to sign, derived from a fuzz input: a signer (S3 rules, S3 with a session token,
/// or another service's rules), a method, a URL with query items, headers, a time and an expiry.
///
/// Invariant: only what the signer's preconditions allow (uppercase method, token header names,
/// values without CR, LF or NUL, times within years 1970...9999); anything else in the values is
/// fair game, including non-ASCII text and names that collide with the `X-Amz-*` items.
struct SigV4Case {
    let signer: SigV4Signer
    let method: String
    let url: S3URL
    let headers: [(name: String, value: String)]
    let timestamp: SigV4Timestamp
    let expires: Int

    private static let credentials = S3Credentials(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    private static let signers = [
        SigV4Signer(credentials: credentials, region: "us-east-1"),
        SigV4Signer(
            credentials: S3Credentials(accessKey: "ASIAEXAMPLE", secretKey: "secret", sessionToken: "token/with+odd=chars"),
            region: "eu-central-1"),
        SigV4Signer(credentials: credentials, region: "us-east-1", service: "service"),
    ]
    private static let methods = ["GET", "PUT", "POST", "HEAD", "DELETE"]
    private static let uppercase = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
    static let tokenBytes = Array("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    // Endpoints are fixed: their parsing is S3Configuration's business, not the signer's.
    private static let ipEndpoint = try! S3Endpoint(parsing: "http://127.0.0.1:9000")
    private static let dnsEndpoint = try! S3Endpoint(parsing: "https://s3.example.com")
    private static let expiryEdges = [0, -1, SigV4Error.maximumExpiry, SigV4Error.maximumExpiry + 1, Int.max]

    init(_ input: inout FuzzedInput) {
        signer = Self.signers[input.int(below: Self.signers.count)]
        let generated = input.text(upTo: 8, from: Self.uppercase)
        method = input.bool() || generated.isEmpty ? Self.methods[input.int(below: Self.methods.count)] : generated
        let query = (0..<input.int(below: 6)).map { _ in S3QueryItem(input.text(upTo: 24), input.text(upTo: 24)) }
        if signer.pathRules == .s3 {
            let key = input.text(upTo: 64)
            let pathStyle = input.bool()
            let endpoint = pathStyle ? Self.ipEndpoint : Self.dnsEndpoint
            url = (try? S3URL.object(endpoint: endpoint, bucket: "bundles", key: key, query: query, pathStyle: pathStyle))
                ?? S3URL.bucket(endpoint: endpoint, bucket: "bundles", query: query, pathStyle: pathStyle)
        } else {
            url = S3URL(scheme: "https", host: "example.amazonaws.com", path: "/" + input.text(upTo: 64), query: query)
        }
        headers = (0..<input.int(below: 6)).map { _ in
            let name = input.bytes(upTo: 16).map { Self.tokenBytes.contains($0) ? $0 : Self.tokenBytes[Int($0) % Self.tokenBytes.count] }
            let value = input.bytes(upTo: 32).filter { $0 != 0 && $0 != 0x0A && $0 != 0x0D }
            return (name: name.isEmpty ? "x" : String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        }
        timestamp = SigV4Timestamp(epochSeconds: Int64(input.int(below: 1 << 16)) << 16 | Int64(input.int(below: 1 << 16)))
        expires = input.int(below: 8) == 0
            ? Self.expiryEdges[input.int(below: Self.expiryEdges.count)]
            : 1 + input.int(below: 1 << 16) * 10 % SigV4Error.maximumExpiry
    }

    /// The headers `sign` signs: the given ones, plus `host` when none of them is.
    var signedHeaders: [(name: String, value: String)] {
        headers.contains { $0.name.lowercased() == "host" } ? headers : headers + [(name: "host", value: url.hostHeader)]
    }

    func sign(url: S3URL? = nil, headers: [(name: String, value: String)]? = nil) -> SigV4Signature {
        signer.sign(method: method, url: url ?? self.url, headers: headers ?? self.headers, payloadHash: SigV4Payload.unsignedValue, at: timestamp)
    }
}
