#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ExthostCore

/// Where and how the bundle store reaches S3, read from the environment (DESIGN §9).
///
/// Invariant: every field is validated: the bucket follows the S3 naming rules, the endpoint is
/// a bare `http(s)://host[:port]`, virtual-hosted addressing is only chosen when it can work
/// (a DNS endpoint, no dot in the bucket over HTTPS), and the base prefix is a safe relative
/// folder. The secret key and session token are never shown by `description`.
public struct S3Configuration: Sendable, Equatable {
    /// The environment variable names.
    public enum Variable {
        public static let endpoint = "STORAGE_S3_ENDPOINT"
        public static let accessKey = "STORAGE_S3_ACCESS_KEY"
        public static let secretKey = "STORAGE_S3_SECRET_KEY"
        public static let sessionToken = "STORAGE_S3_SESSION_TOKEN"
        public static let region = "STORAGE_S3_REGION"
        public static let bucket = "STORAGE_S3_BUCKET"
        public static let forcePathStyle = "STORAGE_S3_FORCE_PATH_STYLE"
        public static let bundleStoreBase = "BUNDLE_STORE_BASE"
        public static let caFile = "STORAGE_S3_CA_FILE"
    }

    public static let defaultRegion = "us-east-1"
    public static let defaultBundleStoreBase = "sha256/"
    static let maximumBaseBytes = 256
    static let maximumCredentialBytes = 4096

    public let endpoint: S3Endpoint
    public let credentials: S3Credentials
    public let region: String
    public let bucket: String
    /// `endpoint/bucket/key` when true, `bucket.endpoint-host/key` otherwise.
    public let forcePathStyle: Bool
    /// The key prefix of canonical bundles, such as `sha256/`: relative, ending with `/`.
    public let bundleStoreBase: String
    /// A PEM bundle of the CAs to trust instead of the system store.
    public let caFile: String?

    /// Reads the variables from `environment`; an empty value counts as unset.
    public init(environment: [String: String]) throws(S3ConfigurationError) {
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        func required(_ name: String) throws(S3ConfigurationError) -> String {
            guard let text = value(name) else { throw .missing(variable: name) }
            return text
        }

        let bucket = try required(Variable.bucket)
        guard Self.isValidBucketName(bucket) else {
            throw .invalid(variable: Variable.bucket, reason: "'\(bucket)' breaks the S3 bucket naming rules (3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no reserved prefix or suffix)")
        }
        let accessKey = try required(Variable.accessKey)
        try Self.checkSecretShape(accessKey, variable: Variable.accessKey, allowSlash: false)
        let secretKey = try required(Variable.secretKey)
        try Self.checkSecretShape(secretKey, variable: Variable.secretKey, allowSlash: true)
        let sessionToken = value(Variable.sessionToken)
        if let sessionToken { try Self.checkSecretShape(sessionToken, variable: Variable.sessionToken, allowSlash: true) }

        let region = value(Variable.region) ?? Self.defaultRegion
        guard Self.isValidRegion(region) else {
            throw .invalid(variable: Variable.region, reason: "'\(region)' is not a region name (1-63 lowercase letters, digits and '-')")
        }
        let endpoint = try value(Variable.endpoint).map { text throws(S3ConfigurationError) in try S3Endpoint(parsing: text) } ?? .aws(region: region)

        let forcePathStyle: Bool
        switch value(Variable.forcePathStyle) {
        case nil, "false": forcePathStyle = false
        case "true": forcePathStyle = true
        case let other?: throw .invalid(variable: Variable.forcePathStyle, reason: "must be true or false, not '\(other)'")
        }
        if !forcePathStyle {
            if endpoint.isIPAddress {
                throw .invalid(variable: Variable.forcePathStyle, reason: "must be true when \(Variable.endpoint) is an IP address: virtual-hosted style puts the bucket in the host name")
            }
            if endpoint.scheme == "https" && bucket.contains(".") {
                throw .invalid(variable: Variable.bucket, reason: "'\(bucket)' contains '.', which breaks TLS certificate matching in virtual-hosted style over HTTPS; set \(Variable.forcePathStyle)=true")
            }
        }

        let base = value(Variable.bundleStoreBase) ?? Self.defaultBundleStoreBase
        guard Self.isValidBase(base) else {
            throw .invalid(variable: Variable.bundleStoreBase, reason: "'\(base)' must be a relative prefix of letters, digits, '.', '_', '-' and '/' ending with '/', without empty, '.' or '..' segments, at most \(Self.maximumBaseBytes) bytes")
        }

        let caFile = value(Variable.caFile)
        if let caFile, !Self.isReadableRegularFile(caFile) {
            throw .invalid(variable: Variable.caFile, reason: "'\(caFile)' is not a readable regular file")
        }

        self.endpoint = endpoint
        self.credentials = S3Credentials(accessKey: accessKey, secretKey: secretKey, sessionToken: sessionToken)
        self.region = region
        self.bucket = bucket
        self.forcePathStyle = forcePathStyle
        self.bundleStoreBase = base
        self.caFile = caFile
    }

    /// A signer for S3 in the configured region with the configured credentials.
    public var signer: SigV4Signer { SigV4Signer(credentials: credentials, region: region, service: "s3") }

    /// General purpose bucket rules (AWS S3 user guide, "Bucket naming rules").
    public static func isValidBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard bytes.allSatisfy({ isLowerAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }),
            isLowerAlphanumeric(bytes[0]), isLowerAlphanumeric(bytes[bytes.count - 1]),
            !name.contains(".."), !S3Endpoint.isIPv4(name)
        else { return false }
        let reservedPrefixes = ["xn--", "sthree-", "amzn-s3-demo-"]
        let reservedSuffixes = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
        return !reservedPrefixes.contains(where: name.hasPrefix) && !reservedSuffixes.contains(where: name.hasSuffix)
    }

    static func isValidRegion(_ region: String) -> Bool {
        (1...63).contains(region.utf8.count) && !region.hasPrefix("-") && !region.hasSuffix("-")
            && region.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    static func isValidBase(_ base: String) -> Bool {
        guard base.utf8.count <= maximumBaseBytes, base.hasSuffix("/"), !base.hasPrefix("/") else { return false }
        let safe = base.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "._-/".utf8.contains(byte)
        }
        let segments = base.dropLast().split(separator: "/", omittingEmptySubsequences: false)
        return safe && segments.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// Credentials go into header values and the credential scope: printable ASCII only, no
    /// spaces (a stray space or CR from an env file is the usual mistake), no `/` in the access
    /// key. The value itself is never echoed.
    static func checkSecretShape(_ text: String, variable: String, allowSlash: Bool) throws(S3ConfigurationError) {
        guard text.utf8.count <= maximumCredentialBytes else { throw .invalid(variable: variable, reason: "is longer than \(maximumCredentialBytes) bytes") }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalid(variable: variable, reason: "contains whitespace, a control character or non-ASCII text (value not shown)")
        }
        if !allowSlash && text.contains("/") { throw .invalid(variable: variable, reason: "contains '/' (value not shown)") }
    }

    static func isReadableRegularFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, R_OK) == 0
    }
}

extension S3Configuration: CustomStringConvertible {
    public var description: String {
        let style = forcePathStyle ? "path" : "virtual-hosted"
        return "S3Configuration(endpoint: \(endpoint), bucket: \(bucket), region: \(region), style: \(style), base: \(bundleStoreBase), caFile: \(caFile ?? "system"), credentials: \(credentials))"
    }
}

/// A missing or invalid S3 setting. The message names the variable and never contains a
/// credential.
public enum S3ConfigurationError: HTTPError, Equatable, CustomStringConvertible {
    case missing(variable: String)
    case invalid(variable: String, reason: String)

    public var variable: String {
        switch self {
        case .missing(let variable), .invalid(let variable, _): variable
        }
    }

    public var status: HTTPStatus { .internalServerError }

    public var code: String { "CONFIG_INVALID" }

    public var message: String {
        switch self {
        case .missing(let variable): "\(variable) is not set"
        case .invalid(let variable, let reason): "\(variable) \(reason)"
        }
    }

    public var description: String { message }
}
