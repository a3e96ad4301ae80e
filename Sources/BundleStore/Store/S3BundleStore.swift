/// The bundle store on S3: `BundleStore` over `S3Client`, keys from the configured base.
///
/// Invariant: write-once operations HEAD first and then send `If-None-Match: *`, so stores that
/// ignore the header still refuse an overwrite outside a narrow race.
public struct S3BundleStore: BundleStore {
    public let client: S3Client
    public let keys: BundleKeyPolicy
    /// Content type of every object written through `putOnce`.
    static let contentType = "application/octet-stream"

    public init(client: S3Client) {
        self.client = client
        self.keys = BundleKeyPolicy(base: client.configuration.bundleStoreBase)
    }

    @discardableResult
    public func putOnce(_ key: String, body: ObjectBody) throws(BundleStoreError) -> String {
        try client.putOnce(key, body: body, contentType: Self.contentType)
    }

    @discardableResult
    public func copyOnce(from source: String, to destination: String) throws(BundleStoreError) -> String {
        try client.copyOnce(from: source, to: destination)
    }

    public func info(_ key: String) throws(BundleStoreError) -> StoredObject? {
        try client.head(key).map { StoredObject(key: key, size: $0.size, etag: $0.etag, lastModified: $0.lastModified) }
    }

    @discardableResult
    public func open(_ key: String, range: ClosedRange<Int64>?, sink: (UnsafeRawBufferPointer) throws -> Void) throws(BundleStoreError) -> StoredObject {
        let info = try client.get(key, range: range, sink: sink)
        return StoredObject(key: key, size: info.size, etag: info.etag, lastModified: info.lastModified)
    }

    public func delete(_ key: String) throws(BundleStoreError) {
        try client.delete(key)
    }

    public func presignUpload(_ key: String, expiresIn: Int, contentLength: Int64?) throws(BundleStoreError) -> PresignedRequest {
        let headers = PresignedRequest.uploadHeaders(contentLength: contentLength)
        let signed = try client.presignedURL(method: "PUT", key: key, headers: headers, expiresIn: expiresIn)
        return PresignedRequest(url: signed.url, method: "PUT", headers: signed.requiredHeaders)
    }

    public func presignDownload(_ key: String, expiresIn: Int) throws(BundleStoreError) -> PresignedRequest {
        let signed = try client.presignedURL(method: "GET", key: key, expiresIn: expiresIn)
        return PresignedRequest(url: signed.url, method: "GET", headers: signed.requiredHeaders)
    }

    public func beginMultipart(_ key: String) throws(BundleStoreError) -> String {
        try client.createMultipartUpload(key, contentType: Self.contentType)
    }

    public func presignPart(_ key: String, multipartId: String, partNumber: Int, expiresIn: Int) throws(BundleStoreError) -> PresignedRequest {
        let signed = try client.presignPart(key, uploadId: multipartId, partNumber: partNumber, expiresIn: expiresIn)
        return PresignedRequest(url: signed.url, method: "PUT", headers: signed.requiredHeaders)
    }

    public func uploadPart(_ key: String, multipartId: String, partNumber: Int, body: ObjectBody) throws(BundleStoreError) -> String {
        try client.uploadPart(key, uploadId: multipartId, partNumber: partNumber, body: body)
    }

    @discardableResult
    public func completeMultipart(_ key: String, multipartId: String, parts: [S3Part], ifNoneMatch: Bool) throws(BundleStoreError) -> String {
        try client.completeMultipartUpload(key, uploadId: multipartId, parts: parts, ifNoneMatch: ifNoneMatch)
    }

    public func abortMultipart(_ key: String, multipartId: String) throws(BundleStoreError) {
        try client.abortMultipartUpload(key, uploadId: multipartId)
    }

    public func list(prefix: String, visit: (StoredObject) throws(BundleStoreError) -> Void) throws(BundleStoreError) {
        var token: String?
        repeat {
            let page = try client.listObjectsV2(prefix: prefix, continuationToken: token)
            for object in page.objects { try visit(object) }
            token = page.nextContinuationToken
        } while token != nil
    }
}
