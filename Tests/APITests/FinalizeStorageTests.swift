import API
import Bundle
import BundleStore
import Cryptography
import ExthostCore
import Foundation
import Testing
import Zstd

/// The write-once copy of finalize against a real file store: what was verified is what is
/// published, an existing canonical object is never replaced, and a staging object replaced
/// after verification is refused.
@Suite struct FinalizeStorageTests {
    static let manifest = Array(#"{"name":"hello"}"#.utf8)

    @Test func copiesTheVerifiedBundleAndWritesTheManifest() throws {
        let files = try TemporaryStore()
        let staged = try files.stage(Array(repeating: 7, count: 1000))

        try CanonicalWriter(store: files.store, uploadID: files.uploadID, stagingMayChange: true)
            .store(staged, from: files.stagingKey, manifest: Self.manifest)

        let hash = staged.digest.contentHash
        #expect(try files.read(files.store.canonicalBundleKey(hash: hash)) == Array(repeating: 7, count: 1000))
        #expect(try files.read(files.store.canonicalManifestKey(hash: hash)) == Self.manifest)
    }

    @Test func anExistingCanonicalObjectOfTheSameSizeStaysAsItIs() throws {
        let files = try TemporaryStore()
        let bytes: [UInt8] = Array(repeating: 1, count: 500)
        let staged = try files.stage(bytes)
        let key = files.store.canonicalBundleKey(hash: staged.digest.contentHash)
        let first = try files.store.putOnce(key, body: .bytes(bytes))
        try files.store.putOnce(files.store.canonicalManifestKey(hash: staged.digest.contentHash), body: .bytes(Self.manifest))

        try CanonicalWriter(store: files.store, uploadID: files.uploadID, stagingMayChange: true)
            .store(staged, from: files.stagingKey, manifest: Self.manifest)

        #expect(try files.store.info(key)?.etag == first)
    }

    @Test func anExistingCanonicalObjectOfAnotherSizeIsAnOperatorProblem() throws {
        let files = try TemporaryStore()
        let staged = try files.stage(Array(repeating: 1, count: 500))
        let key = files.store.canonicalBundleKey(hash: staged.digest.contentHash)
        try files.store.putOnce(key, body: .bytes([1, 2, 3]))

        #expect(throws: FinalizeError.canonicalObjectMismatch(key: key)) {
            try CanonicalWriter(store: files.store, uploadID: files.uploadID, stagingMayChange: true)
                .store(staged, from: files.stagingKey, manifest: Self.manifest)
        }
        #expect(try files.read(key) == [1, 2, 3])
    }

    @Test func aStagingObjectReplacedAfterVerificationIsNotPublished() throws {
        let files = try TemporaryStore()
        let staged = try files.stage(Array(repeating: 1, count: 500))
        try files.replaceStaging(with: Array(repeating: 2, count: 500))

        #expect(throws: FinalizeError.stagingChanged(uploadID: files.uploadID)) {
            try CanonicalWriter(store: files.store, uploadID: files.uploadID, stagingMayChange: true)
                .store(staged, from: files.stagingKey, manifest: Self.manifest)
        }
        #expect(try files.store.info(files.store.canonicalBundleKey(hash: staged.digest.contentHash)) == nil)
        #expect(FinalizeError.stagingChanged(uploadID: files.uploadID).status == .conflict)
    }

    @Test func aStoreThatReTagsCopiesIsCheckedByContent() throws {
        let files = try TemporaryStore()
        let store = ReTaggingStore(base: files.store)
        let staged = try files.stage(Array(repeating: 3, count: 800))

        try CanonicalWriter(store: store, uploadID: files.uploadID, stagingMayChange: true)
            .store(staged, from: files.stagingKey, manifest: Self.manifest)
        #expect(try files.read(files.store.canonicalBundleKey(hash: staged.digest.contentHash)) == Array(repeating: 3, count: 800))

        let other = try TemporaryStore()
        let verified = try other.stage(Array(repeating: 4, count: 800))
        try other.replaceStaging(with: Array(repeating: 5, count: 800))
        #expect(throws: FinalizeError.stagingChanged(uploadID: other.uploadID)) {
            try CanonicalWriter(store: ReTaggingStore(base: other.store), uploadID: other.uploadID, stagingMayChange: true)
                .store(verified, from: other.stagingKey, manifest: Self.manifest)
        }
    }

    @Test func sizeIsCheckedBeforeHashAndHashBeforeStructure() throws {
        let digest = BundleDigest(contentHash: ContentHash(digest: SHA256.hash([UInt8]([1, 2, 3]))), size: 3)
        let broken = StagedBundle(digest: digest, etag: "\"x\"", scan: .failure(ZstdError.truncated))
        let otherHash = ContentHash(digest: SHA256.hash([UInt8]([9])))

        #expect(throws: PublishingError.sizeMismatch(declared: 4, received: 3)) {
            try broken.checked(declaredSize: 4, declaredHash: otherHash)
        }
        #expect(throws: PublishingError.hashMismatch(declared: otherHash.description, actual: digest.contentHash.description)) {
            try broken.checked(declaredSize: 3, declaredHash: otherHash)
        }
        #expect(throws: ZstdError.truncated) { try broken.checked(declaredSize: 3, declaredHash: digest.contentHash) }
        #expect(throws: ZstdError.truncated) { try broken.checked(declaredSize: 3, declaredHash: nil) }
    }
}

/// A file store in a fresh temporary directory with one staging key, removed afterwards.
final class TemporaryStore {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("finalize-\(UUID().uuidString)")
    let store: FileBundleStore
    let uploadID = UUID().uuidString.lowercased()
    let stagingKey: String

    init() throws {
        store = try FileBundleStore(
            root: directory.path, publicBase: "https://exthost.test", signingKey: Array("finalize-test-key".utf8),
            keyPolicy: BundleKeyPolicy(base: "sha256/"))
        stagingKey = try store.stagingKey(uploadId: uploadID)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Puts `bytes` in staging and describes them as finalize's read would.
    func stage(_ bytes: [UInt8]) throws -> StagedBundle {
        try store.putOnce(stagingKey, body: .bytes(bytes))
        let etag = try #require(try store.info(stagingKey)).etag
        let digest = BundleDigest(contentHash: ContentHash(digest: SHA256.hash(bytes)), size: bytes.count)
        return StagedBundle(digest: digest, etag: etag, scan: .failure(ZstdError.truncated))
    }

    /// What a client's second PUT to its presigned URL does.
    func replaceStaging(with bytes: [UInt8]) throws {
        try store.delete(stagingKey)
        try store.putOnce(stagingKey, body: .bytes(bytes))
    }

    func read(_ key: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try store.open(key, range: nil) { bytes += $0 }
        return bytes
    }
}

/// A store whose copies get a new ETag, as S3 does for SSE-KMS objects.
struct ReTaggingStore: BundleStore {
    let base: FileBundleStore
    var keys: BundleKeyPolicy { base.keys }

    func copyOnce(from source: String, to destination: String) throws(BundleStoreError) -> String {
        try base.copyOnce(from: source, to: destination) + "-copied"
    }

    func putOnce(_ key: String, body: ObjectBody) throws(BundleStoreError) -> String { try base.putOnce(key, body: body) }
    func info(_ key: String) throws(BundleStoreError) -> StoredObject? { try base.info(key) }
    func open(_ key: String, range: ClosedRange<Int64>?, sink: (UnsafeRawBufferPointer) throws -> Void) throws(BundleStoreError) -> StoredObject {
        try base.open(key, range: range, sink: sink)
    }
    func delete(_ key: String) throws(BundleStoreError) { try base.delete(key) }
    func presignUpload(_ key: String, expiresIn: Int, contentLength: Int64?) throws(BundleStoreError) -> PresignedRequest {
        try base.presignUpload(key, expiresIn: expiresIn, contentLength: contentLength)
    }
    func presignDownload(_ key: String, expiresIn: Int) throws(BundleStoreError) -> PresignedRequest {
        try base.presignDownload(key, expiresIn: expiresIn)
    }
    func beginMultipart(_ key: String) throws(BundleStoreError) -> String { try base.beginMultipart(key) }
    func presignPart(_ key: String, multipartId: String, partNumber: Int, expiresIn: Int) throws(BundleStoreError) -> PresignedRequest {
        try base.presignPart(key, multipartId: multipartId, partNumber: partNumber, expiresIn: expiresIn)
    }
    func uploadPart(_ key: String, multipartId: String, partNumber: Int, body: ObjectBody) throws(BundleStoreError) -> String {
        try base.uploadPart(key, multipartId: multipartId, partNumber: partNumber, body: body)
    }
    func completeMultipart(_ key: String, multipartId: String, parts: [S3Part], ifNoneMatch: Bool) throws(BundleStoreError) -> String {
        try base.completeMultipart(key, multipartId: multipartId, parts: parts, ifNoneMatch: ifNoneMatch)
    }
    func abortMultipart(_ key: String, multipartId: String) throws(BundleStoreError) { try base.abortMultipart(key, multipartId: multipartId) }
    func list(prefix: String, visit: (StoredObject) throws(BundleStoreError) -> Void) throws(BundleStoreError) {
        try base.list(prefix: prefix, visit: visit)
    }
}
