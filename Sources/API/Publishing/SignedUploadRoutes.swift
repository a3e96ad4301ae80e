import BundleStore
import Cryptography
import ExthostCore
import FastCGI
import Glibc
import JSON
import Logging
import Registry

/// A file-store upload URL that is not valid here: altered, expired, for another method, or
/// already used (a replay).
public enum SignedUploadError: HTTPError, Equatable {
    case invalidSignature
    case alreadyUploaded
    case notFileStore

    public var status: HTTPStatus {
        switch self {
        case .invalidSignature, .alreadyUploaded: .forbidden
        case .notFileStore: .notFound
        }
    }

    public var code: String {
        switch self {
        case .invalidSignature: "UPLOAD_URL_INVALID"
        case .alreadyUploaded: "UPLOAD_URL_USED"
        case .notFileStore: "NOT_FOUND"
        }
    }

    public var message: String {
        switch self {
        case .invalidSignature: "the upload URL is altered or expired; ask initiate-upload for a new one"
        case .alreadyUploaded: "this upload URL was already used; finalize the upload or start a new one"
        case .notFileStore: "presigned uploads go straight to S3 in this deployment"
        }
    }
}

extension Router {
    /// `PUT /api/ext-bundles/upload/{uploadId}` and `…/parts/{n}`: the file store's presigned
    /// uploads (issue 9). No API key: the URL's HMAC signature over method, path and expiry is
    /// the credential, exactly like an S3 presigned URL.
    mutating func addSignedUploadRoutes(_ publishing: PublishingServices) {
        put("/api/ext-bundles/upload/:uploadId") { request in
            let (store, session) = try SignedUpload.authorize(request, publishing)
            guard let length = request.contentLength, length == session.declaredSize else {
                throw PublishingError.sizeMismatch(declared: session.declaredSize, received: Int64(request.contentLength ?? -1))
            }
            let hash = SHA256()
            do {
                try store.putOnce(session.stagingKey, body: SignedUpload.body(of: request, length: Int64(length), hash: hash))
            } catch BundleStoreError.alreadyExists {
                throw SignedUploadError.alreadyUploaded
            }
            let contentHash = "sha256:" + hash.finalize().hex
            try publishing.sessions.update(tenantID: session.tenantID, id: session.id, state: .open, contentHash: contentHash)
            publishing.logger.info("signed upload received", metadata: ["uploadId": "\(session.id)", "bytes": "\(length)", "requestId": "\(request.requestID)"])
            return Response(status: .ok, headers: try HTTPHeaders([("ETag", "\"" + contentHash.dropFirst(7) + "\"")]))
        }
        put("/api/ext-bundles/upload/:uploadId/parts/:partNumber") { request in
            let (store, session) = try SignedUpload.authorize(request, publishing)
            guard let multipartID = session.multipartID else { throw RegistryError.uploadClosed(session.id, state: "not multipart") }
            guard let number = request.parameters["partNumber"].flatMap(Int.init), (1...10_000).contains(number) else {
                throw InputError.invalidParameter("partNumber", reason: "must be 1 to 10000")
            }
            guard let length = request.contentLength, length <= publishing.limits.maxBundleBytes else {
                throw PublishingError.bundleTooLarge(limit: publishing.limits.maxBundleBytes)
            }
            let etag = try store.uploadPart(
                session.stagingKey, multipartId: multipartID, partNumber: number,
                body: SignedUpload.body(of: request, length: Int64(length), hash: nil))
            return Response(status: .ok, headers: try HTTPHeaders([("ETag", etag)]))
        }
    }
}

enum SignedUpload {
    /// Checks the URL signature against the request line, then that the session is still open.
    static func authorize(_ request: Request, _ publishing: PublishingServices) throws -> (FileBundleStore, UploadSession) {
        guard let store = publishing.store as? FileBundleStore else { throw SignedUploadError.notFileStore }
        guard let expires = request.query["expires"].flatMap(Int64.init), let signature = request.query["signature"],
            store.verifyPresigned(method: request.method, path: request.path, expires: expires, signature: signature, now: Int64(time(nil)))
        else { throw SignedUploadError.invalidSignature }
        guard let id = request.parameters["uploadId"].flatMap(UUIDText.normalized) else { throw SignedUploadError.invalidSignature }
        let session = try publishing.sessions.find(signedUploadID: id)
        guard session.state == .open, !session.isExpired else {
            throw RegistryError.uploadClosed(id, state: session.isExpired ? "expired" : session.state.rawValue)
        }
        return (store, session)
    }

    /// The request body as exactly `length` bytes streamed into the store, hashed on the way.
    static func body(of request: Request, length: Int64, hash: SHA256?) -> ObjectBody {
        .stream(length: length) { buffer in
            let count = try request.body.read(into: buffer)
            if let hash, count > 0 { hash.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) }
            return count
        }
    }
}
