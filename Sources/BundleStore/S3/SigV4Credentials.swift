/// The key pair (and optional session token) that SigV4 signs with.
///
/// Invariant: the secret key and the session token never appear in any description, debug
/// description or reflection of this value; only the access key id is shown.
public struct S3Credentials: Sendable, Equatable {
    public let accessKey: String
    public let secretKey: String
    /// The temporary-credentials token sent as `X-Amz-Security-Token`; nil for long-term keys.
    public let sessionToken: String?

    public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
    }

    static let redacted = "<redacted>"
}

extension S3Credentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "S3Credentials(accessKey: \(accessKey), secretKey: \(Self.redacted), sessionToken: \(sessionToken == nil ? "none" : Self.redacted))"
    }

    public var debugDescription: String { description }

    /// `dump` and the default printing of values that contain credentials go through the
    /// mirror, so it must not expose the stored secrets.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "accessKey": accessKey,
                "secretKey": Self.redacted,
                "sessionToken": sessionToken == nil ? "none" : Self.redacted,
            ],
            displayStyle: .struct
        )
    }
}
