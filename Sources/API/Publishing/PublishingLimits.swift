/// The size and time bounds of publishing, from the environment (DESIGN §9).
public struct PublishingLimits: Sendable, Equatable {
    /// `EXTHOST_MAX_BUNDLE_BYTES`, default 200 MiB: larger uploads are 413 `BUNDLE_TOO_LARGE`.
    public var maxBundleBytes: Int64
    /// `EXTHOST_MULTIPART_THRESHOLD`, default 64 MiB: above it initiate-upload answers part URLs.
    public var multipartThreshold: Int64
    /// Part size of presigned multipart uploads and of the upload proxy (16 MiB).
    public var partSize: Int64
    /// How long an upload session and its URLs stay valid.
    public var sessionLifetime: Duration
    /// `EXTHOST_UPLOAD_SLOTS`, default 4: upload-proxy handlers streaming at once (keep it below
    /// `EXTHOST_THREADS` so catalog, install and execute calls always find a thread).
    public var uploadSlots: Int

    public static let mebibyte: Int64 = 1 << 20

    public init(maxBundleBytes: Int64 = 200 * mebibyte, multipartThreshold: Int64 = 64 * mebibyte, partSize: Int64 = 16 * mebibyte, sessionLifetime: Duration = .seconds(3600), uploadSlots: Int = 4) {
        self.maxBundleBytes = maxBundleBytes
        self.multipartThreshold = multipartThreshold
        self.partSize = partSize
        self.sessionLifetime = sessionLifetime
        self.uploadSlots = uploadSlots
    }

    /// Reads the overrides; a value that is not a positive byte count is an error at start.
    public init(environment: [String: String]) throws(PublishingConfigurationError) {
        self.init()
        if let text = environment["EXTHOST_MAX_BUNDLE_BYTES"] {
            maxBundleBytes = try Self.bytes("EXTHOST_MAX_BUNDLE_BYTES", text)
        }
        if let text = environment["EXTHOST_MULTIPART_THRESHOLD"] {
            // S3 parts other than the last must be at least 5 MiB.
            multipartThreshold = max(try Self.bytes("EXTHOST_MULTIPART_THRESHOLD", text), 5 * Self.mebibyte)
        }
        if let text = environment["EXTHOST_UPLOAD_SLOTS"], !text.isEmpty {
            guard let value = Int(text), (1...1024).contains(value) else {
                throw .invalid(name: "EXTHOST_UPLOAD_SLOTS", reason: "must be a number from 1 to 1024 (keep it below EXTHOST_THREADS)")
            }
            uploadSlots = value
        }
    }

    private static func bytes(_ name: String, _ text: String) throws(PublishingConfigurationError) -> Int64 {
        guard let value = Int64(text), value > 0 else { throw .invalid(name: name, reason: "must be a positive number of bytes") }
        return value
    }
}
