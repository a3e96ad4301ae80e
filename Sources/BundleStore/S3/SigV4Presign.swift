import ExthostCore

/// A presigned URL (query authorization) and the signature it carries.
public struct SigV4PresignedURL: Sendable {
    /// The URL to hand out: the operation's query items, then the `X-Amz-*` items, with
    /// `X-Amz-Signature` last.
    public let url: String
    public let signature: SigV4Signature
    /// The headers the user of the URL must send with exactly these values (signed).
    public let requiredHeaders: [(name: String, value: String)]
}

/// Why a request could not be signed.
public enum SigV4Error: HTTPError, Equatable {
    /// SigV4 presigned URLs live between one second and seven days.
    case expiryOutOfRange(seconds: Int)
    /// The URL already carries query authorization items.
    case alreadyPresigned

    public static let maximumExpiry = 604_800

    public var status: HTTPStatus { .internalServerError }

    public var code: String { "PRESIGN_INVALID" }

    public var message: String {
        switch self {
        case .expiryOutOfRange(let seconds):
            "presigned URL expiry \(seconds) s is outside 1...\(Self.maximumExpiry) s"
        case .alreadyPresigned:
            "the URL to presign already carries X-Amz-* authorization items"
        }
    }
}

extension SigV4Signer {
    /// Query authorization for `method` on `url`, valid for `expires` seconds from `timestamp`.
    /// The payload is `UNSIGNED-PAYLOAD`; `headers` (for example `If-None-Match: *`) are signed
    /// besides `host` and must then be sent by whoever uses the URL.
    public func presignedURL(
        method: String,
        url: S3URL,
        headers: [(name: String, value: String)] = [],
        expires: Int,
        at timestamp: SigV4Timestamp
    ) throws(SigV4Error) -> SigV4PresignedURL {
        guard (1...SigV4Error.maximumExpiry).contains(expires) else { throw .expiryOutOfRange(seconds: expires) }
        guard !url.query.contains(where: { Self.queryAuthNames.contains($0.name.lowercased()) }) else {
            throw .alreadyPresigned
        }
        var signedHeaders = headers
        if !signedHeaders.contains(where: { $0.name.lowercased() == "host" }) {
            signedHeaders.append((name: "host", value: url.hostHeader))
        }
        var authItems = [
            S3QueryItem("X-Amz-Algorithm", Self.algorithm),
            S3QueryItem("X-Amz-Credential", "\(credentials.accessKey)/\(credentialScope(at: timestamp))"),
            S3QueryItem("X-Amz-Date", timestamp.amzDate),
            S3QueryItem("X-Amz-Expires", String(expires)),
            S3QueryItem("X-Amz-SignedHeaders", SigV4CanonicalRequest.canonicalHeaders(signedHeaders).map(\.name).joined(separator: ";")),
        ]
        if let token = credentials.sessionToken {
            authItems.append(S3QueryItem("X-Amz-Security-Token", token))
        }
        let toSign = url.appending(query: authItems)
        let signature = sign(method: method, url: toSign, headers: signedHeaders, payloadHash: SigV4Payload.unsignedValue, at: timestamp)
        let signed = toSign.appending(query: [S3QueryItem("X-Amz-Signature", signature.signature)])
        return SigV4PresignedURL(url: signed.string, signature: signature, requiredHeaders: headers)
    }

    /// The presigned URL as text: `presignedURL(…).url`.
    public func presign(
        method: String,
        url: S3URL,
        headers: [(name: String, value: String)] = [],
        expires: Int,
        at epochSeconds: Int64
    ) throws(SigV4Error) -> String {
        try presignedURL(method: method, url: url, headers: headers, expires: expires, at: SigV4Timestamp(epochSeconds: epochSeconds)).url
    }

    /// Lowercase: compared without case so that no spelling of a second set slips through.
    private static let queryAuthNames: Set<String> = [
        "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders",
        "x-amz-security-token", "x-amz-signature",
    ]
}
