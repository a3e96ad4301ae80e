import ExthostCore
import Glibc

/// Presigned requests without S3: URLs to the api's own upload and download routes, signed
/// with the store's key (issue 9 item 3). Uploads are only ever presigned to staging keys,
/// named in the URL by their upload id.
extension FileBundleStore {
    public static let uploadRoute = "/api/ext-bundles/upload/"
    public static let downloadRoute = "/api/ext-bundles/download/"
    /// As for SigV4: one second to seven days.
    public static let maximumExpiry = 7 * 24 * 3600

    public func presignUpload(_ key: String, expiresIn: Int, contentLength: Int64?) throws(BundleStoreError) -> PresignedRequest {
        let path = Self.uploadRoute + (try stagingUploadId(key))
        let headers = PresignedRequest.uploadHeaders(contentLength: contentLength)
        return try presigned(method: "PUT", path: path, expiresIn: expiresIn, headers: headers)
    }

    public func presignPart(_ key: String, multipartId: String, partNumber: Int, expiresIn: Int) throws(BundleStoreError) -> PresignedRequest {
        try S3Client.checkPartNumber(partNumber, key: key)
        let path = Self.uploadRoute + (try stagingUploadId(key)) + "/parts/\(partNumber)"
        return try presigned(method: "PUT", path: path, expiresIn: expiresIn, headers: [])
    }

    public func presignDownload(_ key: String, expiresIn: Int) throws(BundleStoreError) -> PresignedRequest {
        let object = try FileObjectKey(key)
        let path = Self.downloadRoute + SigV4Encoding.encode(object.key, keepSlash: true)
        return try presigned(method: "GET", path: path, expiresIn: expiresIn, headers: [])
    }

    /// Whether a request to `path` (as on the request line, without the query) with the URL's
    /// `expires` and `signature` query values was presigned by this store and is still valid.
    /// Replays within the expiry are the caller's to refuse (the upload session's state).
    public func verifyPresigned(method: String, path: String, expires: Int64, signature: String, now: Int64) -> Bool {
        signer.verify(method: method, path: path, expires: expires, signature: signature, now: now)
    }

    func presigned(method: String, path: String, expiresIn: Int, headers: [(name: String, value: String)]) throws(BundleStoreError) -> PresignedRequest {
        guard (1...Self.maximumExpiry).contains(expiresIn) else {
            throw .protocolError(operation: "presign", reason: "presigned URL expiry \(expiresIn) s is outside 1...\(Self.maximumExpiry) s")
        }
        let expires = Int64(time(nil)) + Int64(expiresIn)
        let signature = Hex.encode(signer.signature(method: method, path: path, expires: expires))
        return PresignedRequest(url: publicBase + path + "?expires=\(expires)&signature=\(signature)", method: method, headers: headers)
    }

    /// The upload id of `staging/<uploadId>/bundle.tar.zst`.
    func stagingUploadId(_ key: String) throws(BundleStoreError) -> String {
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count == 3, segments[0] + "/" == BundleKeyPolicy.stagingPrefix, segments[2] == BundleKeyPolicy.bundleFileName,
            BundleKeyPolicy.isValidUploadId(String(segments[1]))
        else { throw .invalidKey(reason: "the file store presigns uploads to staging keys only") }
        return String(segments[1])
    }
}
