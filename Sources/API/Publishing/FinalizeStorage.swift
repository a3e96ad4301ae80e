import Bundle
import BundleStore
import Cryptography

/// Stores a verified bundle and its manifest at their content-addressed keys
/// (`<base><hex>/bundle.tar.zst`, `<base><hex>/manifest.json`), write-once.
///
/// Invariants: an existing canonical object is never replaced (the key is the content hash, so
/// one already there is the same bundle; its size is still checked); the canonical bundle holds
/// exactly the bytes that were verified, even if the client re-PUT the staging object meanwhile.
public struct CanonicalWriter {
    public let store: any BundleStore
    public let uploadID: String
    /// True while the client holds a URL that can replace the staging object (a presigned PUT);
    /// multipart and proxy uploads cannot change once complete.
    public let stagingMayChange: Bool

    public init(store: any BundleStore, uploadID: String, stagingMayChange: Bool) {
        self.store = store
        self.uploadID = uploadID
        self.stagingMayChange = stagingMayChange
    }

    public func store(_ staged: StagedBundle, from stagingKey: String, manifest: [UInt8]) throws {
        let hash = staged.digest.contentHash
        try storeBundle(staged, from: stagingKey, at: store.canonicalBundleKey(hash: hash))
        let manifestKey = store.canonicalManifestKey(hash: hash)
        do throws(BundleStoreError) {
            try store.putOnce(manifestKey, body: .bytes(manifest))
        } catch .alreadyExists {
            try requireSize(Int64(manifest.count), at: manifestKey)
        }
    }

    private func storeBundle(_ staged: StagedBundle, from stagingKey: String, at key: String) throws {
        let copiedETag: String
        do throws(BundleStoreError) {
            copiedETag = try store.copyOnce(from: stagingKey, to: key)
        } catch .alreadyExists {
            try requireSize(Int64(staged.digest.size), at: key)
            return
        }
        // A copy keeps its source's single-part ETag on S3 and in the file store, so equal ETags
        // mean the verified object was copied; where copies are re-tagged (SSE-KMS) one more
        // read proves it.
        guard stagingMayChange, copiedETag != staged.etag, try hash(of: key) != staged.digest.contentHash else { return }
        // Nothing refers to the object yet: removing it keeps the hash key honest.
        try store.delete(key)
        throw FinalizeError.stagingChanged(uploadID: uploadID)
    }

    private func requireSize(_ size: Int64, at key: String) throws {
        guard let existing = try store.info(key), existing.size == size else {
            throw FinalizeError.canonicalObjectMismatch(key: key)
        }
    }

    private func hash(of key: String) throws -> ContentHash {
        let hasher = SHA256()
        try store.open(key, range: nil) { hasher.update($0) }
        return ContentHash(digest: hasher.finalize())
    }
}
