/// What `x-amz-content-sha256` says about the body: S3 checks a real hash against the body it
/// receives, and accepts `UNSIGNED-PAYLOAD` for bodies streamed without hashing them first.
public enum SigV4Payload: Sendable, Equatable {
    /// A body that is streamed and not hashed before sending.
    case unsigned
    /// No body at all.
    case empty
    /// The SHA-256 of the body, 64 lowercase hex digits.
    case sha256(String)

    public static let unsignedValue = "UNSIGNED-PAYLOAD"
    public static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The `x-amz-content-sha256` value; traps when a `.sha256` hash is not 64 lowercase hex digits.
    public var headerValue: String {
        switch self {
        case .unsigned:
            return Self.unsignedValue
        case .empty:
            return Self.emptyHash
        case .sha256(let hex):
            precondition(
                hex.utf8.count == 64 && hex.utf8.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) },
                "SigV4Payload.sha256 needs 64 lowercase hex digits"
            )
            return hex
        }
    }
}

/// A request authorized with the `Authorization` header: the fields to add, and the signature
/// they carry.
public struct SigV4HeaderAuthorization: Sendable {
    /// `Authorization`, `x-amz-date`, `x-amz-content-sha256`, and `x-amz-security-token` with
    /// temporary credentials. The signed `host` is `url.hostHeader`, which the HTTP client derives
    /// from the same URL.
    public let headers: [(name: String, value: String)]
    public let signature: SigV4Signature
}

extension SigV4Signer {
    /// Header authorization: signs `host`, every header given, `x-amz-date`,
    /// `x-amz-content-sha256` and the session token when there is one.
    ///
    /// Every header given is signed, so pass only fields the client sends verbatim (not
    /// `Content-Length` when a proxy may rewrite it, never hop-by-hop fields); the names that
    /// this method adds itself must not be among them.
    public func authorize(
        method: String,
        url: S3URL,
        headers: [(name: String, value: String)] = [],
        payload: SigV4Payload,
        at timestamp: SigV4Timestamp
    ) -> SigV4HeaderAuthorization {
        let reserved: Set<String> = ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"]
        precondition(!headers.contains { reserved.contains($0.name.lowercased()) }, "SigV4: authorize adds its own authorization, date, payload hash and token fields")
        var added: [(name: String, value: String)] = [
            (name: "x-amz-date", value: timestamp.amzDate),
            (name: "x-amz-content-sha256", value: payload.headerValue),
        ]
        if let token = credentials.sessionToken {
            added.append((name: "x-amz-security-token", value: token))
        }
        let signature = sign(method: method, url: url, headers: headers + added, payloadHash: payload.headerValue, at: timestamp)
        return SigV4HeaderAuthorization(headers: [(name: "Authorization", value: signature.authorization)] + added, signature: signature)
    }

    /// The header fields to add to the request: `authorize(…).headers`.
    public func signHeaders(
        method: String,
        url: S3URL,
        headers: [(name: String, value: String)] = [],
        payload: SigV4Payload,
        at epochSeconds: Int64
    ) -> [(name: String, value: String)] {
        authorize(method: method, url: url, headers: headers, payload: payload, at: SigV4Timestamp(epochSeconds: epochSeconds)).headers
    }
}
