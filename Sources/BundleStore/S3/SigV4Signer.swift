import Cryptography
import ExthostCore

/// Signs HTTP requests with AWS Signature Version 4 (`AWS4-HMAC-SHA256`) for one region and
/// service: header authorization and presigned URLs.
///
/// Invariant: the secret key and the derived signing keys stay inside this type; nothing it
/// returns or describes contains them (only hex signatures, which do not reveal the key).
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"

    public let credentials: S3Credentials
    public let region: String
    public let service: String
    public let pathRules: SigV4PathRules

    /// `pathRules` defaults to `.s3` for the `s3` service and `.standard` for any other.
    public init(credentials: S3Credentials, region: String, service: String = "s3", pathRules: SigV4PathRules? = nil) {
        precondition(Self.isScopeComponent(region) && Self.isScopeComponent(service), "SigV4Signer: region and service must be non-empty without '/' or whitespace")
        self.credentials = credentials
        self.region = region
        self.service = service
        self.pathRules = pathRules ?? (service == "s3" ? .s3 : .standard)
    }

    /// `20150830/us-east-1/service/aws4_request`.
    public func credentialScope(at timestamp: SigV4Timestamp) -> String {
        "\(timestamp.dateStamp)/\(region)/\(service)/aws4_request"
    }

    /// Signs exactly the given headers (a `host` field derived from `url` is added when absent);
    /// the building block of header and query authorization, and of the test-suite vectors.
    public func sign(
        method: String,
        url: S3URL,
        headers: [(name: String, value: String)],
        payloadHash: String,
        at timestamp: SigV4Timestamp
    ) -> SigV4Signature {
        var signed = headers
        if !signed.contains(where: { $0.name.lowercased() == "host" }) {
            signed.append((name: "host", value: url.hostHeader))
        }
        let canonical = SigV4CanonicalRequest(
            method: method,
            path: url.path,
            query: url.query,
            headers: signed,
            payloadHash: payloadHash,
            pathRules: pathRules
        )
        let scope = credentialScope(at: timestamp)
        let stringToSign = [
            Self.algorithm,
            timestamp.amzDate,
            scope,
            SHA256.hash(Array(canonical.text.utf8)).hex,
        ].joined(separator: "\n")
        let code = HMACSHA256.authenticationCode(key: signingKey(dateStamp: timestamp.dateStamp), message: Array(stringToSign.utf8))
        return SigV4Signature(
            canonicalRequest: canonical.text,
            stringToSign: stringToSign,
            credential: "\(credentials.accessKey)/\(scope)",
            signedHeaders: canonical.signedHeaders,
            signature: Hex.encode(code)
        )
    }

    /// The key chain `AWS4<secret>` → date → region → service → `aws4_request`.
    private func signingKey(dateStamp: String) -> [UInt8] {
        var key = Array("AWS4\(credentials.secretKey)".utf8)
        for step in [dateStamp, region, service, "aws4_request"] {
            key = HMACSHA256.authenticationCode(key: key, message: Array(step.utf8))
        }
        return key
    }

    private static func isScopeComponent(_ text: String) -> Bool {
        !text.isEmpty && !text.utf8.contains { $0 == UInt8(ascii: "/") || $0 <= 0x20 || $0 >= 0x7F }
    }
}

extension SigV4Signer: CustomStringConvertible {
    public var description: String {
        "SigV4Signer(accessKey: \(credentials.accessKey), region: \(region), service: \(service))"
    }
}

/// The outcome of signing one request, with the intermediate texts for tests and debugging.
///
/// Invariant: holds no key material; `signature` is the lowercase hex HMAC of `stringToSign`.
public struct SigV4Signature: Sendable, Equatable {
    public let canonicalRequest: String
    public let stringToSign: String
    /// `<access key>/<date>/<region>/<service>/aws4_request`.
    public let credential: String
    public let signedHeaders: String
    public let signature: String

    /// The `Authorization` header value.
    public var authorization: String {
        "\(SigV4Signer.algorithm) Credential=\(credential), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }
}
