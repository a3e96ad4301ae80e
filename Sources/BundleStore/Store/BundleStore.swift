import Bundle

/// A request a client sends itself, straight to the store: a presigned URL, its method and the
/// header fields it must carry with exactly these values.
public struct PresignedRequest: Sendable {
    public let url: String
    public let method: String
    public let headers: [(name: String, value: String)]

    public init(url: String, method: String, headers: [(name: String, value: String)]) {
        self.url = url
        self.method = method
        self.headers = headers
    }

    /// The signed headers of every presigned upload: `If-None-Match: *` makes S3 refuse a second
    /// PUT with 412 (the file store's upload route is write-once anyway and ignores it), and
    /// `Content-Length` pins the size.
    public static func uploadHeaders(contentLength: Int64?) -> [(name: String, value: String)] {
        [(name: "If-None-Match", value: "*")] + (contentLength.map { [(name: "Content-Length", value: String($0))] } ?? [])
    }
}

/// Where bundles are kept: S3 (`S3BundleStore`) or, on a single node, the file system.
///
/// Invariants every implementation keeps: `putOnce` and `copyOnce` never replace an existing
/// object (`alreadyExists` instead), reads and writes stream in bounded buffers, keys come from
/// `keys` (so staging keys stay under `staging/`), and errors are `BundleStoreError`.
public protocol BundleStore: Sendable {
    var keys: BundleKeyPolicy { get }

    /// Writes `body` under `key` unless something is there already; returns the new ETag.
    @discardableResult
    func putOnce(_ key: String, body: ObjectBody) throws(BundleStoreError) -> String
    /// Copies `source` to `destination` unless the destination exists; returns the new ETag.
    @discardableResult
    func copyOnce(from source: String, to destination: String) throws(BundleStoreError) -> String
    func exists(_ key: String) throws(BundleStoreError) -> Bool
    /// The object's size and ETag, or nil when it does not exist.
    func info(_ key: String) throws(BundleStoreError) -> StoredObject?
    /// Streams the object (or the inclusive byte `range`) into `sink`.
    @discardableResult
    func open(_ key: String, range: ClosedRange<Int64>?, sink: (UnsafeRawBufferPointer) throws -> Void) throws(BundleStoreError) -> StoredObject
    /// Removes the key; a missing key is not an error.
    func delete(_ key: String) throws(BundleStoreError)

    /// A URL a client can PUT the object to once, valid `expiresIn` seconds; with
    /// `contentLength` the client must send exactly that many bytes. The headers are
    /// `PresignedRequest.uploadHeaders`: a second PUT to the URL is refused, so what finalize
    /// verified cannot be replaced before it is copied.
    func presignUpload(_ key: String, expiresIn: Int, contentLength: Int64?) throws(BundleStoreError) -> PresignedRequest
    func presignDownload(_ key: String, expiresIn: Int) throws(BundleStoreError) -> PresignedRequest

    /// Starts a multipart upload; returns the store's id for it (not a staging upload id).
    func beginMultipart(_ key: String) throws(BundleStoreError) -> String
    func presignPart(_ key: String, multipartId: String, partNumber: Int, expiresIn: Int) throws(BundleStoreError) -> PresignedRequest
    func uploadPart(_ key: String, multipartId: String, partNumber: Int, body: ObjectBody) throws(BundleStoreError) -> String
    /// Assembles the parts; with `ifNoneMatch` only when the key is free.
    @discardableResult
    func completeMultipart(_ key: String, multipartId: String, parts: [S3Part], ifNoneMatch: Bool) throws(BundleStoreError) -> String
    func abortMultipart(_ key: String, multipartId: String) throws(BundleStoreError)

    /// Visits every object whose key starts with `prefix`, in key order, page by page (for GC).
    func list(prefix: String, visit: (StoredObject) throws(BundleStoreError) -> Void) throws(BundleStoreError)
}

extension BundleStore {
    public func canonicalBundleKey(hash: ContentHash) -> String { keys.canonicalBundleKey(hash: hash) }
    public func canonicalManifestKey(hash: ContentHash) -> String { keys.canonicalManifestKey(hash: hash) }
    public func stagingKey(uploadId: String) throws(BundleStoreError) -> String { try keys.stagingKey(uploadId: uploadId) }

    public func exists(_ key: String) throws(BundleStoreError) -> Bool { try info(key) != nil }

    /// Removes whatever staging holds for one upload: its multipart upload (when it has one)
    /// and its object. Both steps are idempotent, so a repeat after a crash is harmless.
    public func discardStaging(key: String, multipartId: String?) throws(BundleStoreError) {
        if let multipartId {
            do {
                try abortMultipart(key, multipartId: multipartId)
            } catch .notFound, .invalidMultipart {
                // Completed or aborted already.
            }
        }
        try delete(key)
    }
}
