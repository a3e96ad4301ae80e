import Bundle
import BundleStore
import Cryptography
import JSON
import Registry

/// One read of a staged upload: its hash and size, the ETag of the object version that was
/// read, and what the bundle scanner made of the same bytes.
public struct StagedBundle {
    public let digest: BundleDigest
    public let etag: String
    /// The scan, or the first tar/zstd/manifest error the scanner raised.
    public let scan: Result<BundleScan, any Error>

    public init(digest: BundleDigest, etag: String, scan: Result<BundleScan, any Error>) {
        self.digest = digest
        self.etag = etag
        self.scan = scan
    }

    /// The scan, once the bytes are the ones the client announced: size first, then hash (a
    /// transfer problem is reported as such before the bundle's structure is judged).
    public func checked(declaredSize: Int64, declaredHash: ContentHash?) throws -> BundleScan {
        let size = Int64(digest.size)
        guard size == declaredSize else { throw PublishingError.sizeMismatch(declared: declaredSize, received: size) }
        if let declaredHash, declaredHash != digest.contentHash {
            throw PublishingError.hashMismatch(declared: declaredHash.description, actual: digest.contentHash.description)
        }
        return try scan.get()
    }
}

/// Reads the staging object of an upload session for finalize.
///
/// Invariants: memory stays bounded whatever the object's size (the store streams in chunks;
/// the scanner keeps only the entry list and the manifest); no more than
/// `limits.maxBundleBytes` are read; errors thrown inside the stream reach the caller as
/// themselves, not wrapped by the store.
struct StagingReader {
    let store: any BundleStore
    let limits: PublishingLimits

    /// The complete staging object: as uploaded (presigned PUT, proxy, or a multipart upload an
    /// earlier attempt completed), else assembled now from `parts`.
    func complete(_ session: UploadSession, parts: [S3Part]?) throws -> StoredObject {
        if let object = try store.info(session.stagingKey) { return object }
        guard let multipartID = session.multipartID else { throw PublishingError.uploadIncomplete(session.id) }
        guard let parts else { throw InputError.missingField(JSONPath.root.appending("parts")) }
        do throws(BundleStoreError) {
            try store.completeMultipart(session.stagingKey, multipartId: multipartID, parts: parts, ifNoneMatch: false)
        } catch .notFound {
            throw PublishingError.uploadIncomplete(session.id)
        }
        guard let object = try store.info(session.stagingKey) else { throw PublishingError.uploadIncomplete(session.id) }
        return object
    }

    /// Streams `key` once through SHA-256 and a `BundleScanner`. The hash covers every byte even
    /// after the scanner gave up, so a corrupted transfer still reads as `HASH_MISMATCH`.
    func read(_ key: String, uploadID: String) throws -> StagedBundle {
        let hasher = SHA256()
        let scanner = BundleScanner()
        let cap = limits.maxBundleBytes
        var received: Int64 = 0
        var scanFailure: (any Error)?
        let object = try streaming(key, uploadID: uploadID) { chunk in
            received += Int64(chunk.count)
            guard received <= cap else { throw PublishingError.bundleTooLarge(limit: cap) }
            hasher.update(chunk)
            guard scanFailure == nil else { return }
            do { try scanner.feed(chunk) } catch { scanFailure = error }
        }
        let digest = BundleDigest(contentHash: ContentHash(digest: hasher.finalize()), size: Int(received))
        let scan: Result<BundleScan, any Error> = scanFailure.map { .failure($0) } ?? Result { try scanner.finish() }
        return StagedBundle(digest: digest, etag: object.etag, scan: scan)
    }

    /// Streams `key` into `reader` until it needs no more: the second, shorter read that finds
    /// the wasm entry, whose path the first read only learnt from the manifest.
    func read(_ key: String, uploadID: String, into reader: EntryModuleReader) throws {
        do {
            _ = try streaming(key, uploadID: uploadID) { chunk in
                guard try reader.feed(chunk) else { throw EnoughRead() }
            }
        } catch is EnoughRead {}
    }

    /// Thrown by a sink to end a read early; never leaves `StagingReader`.
    private struct EnoughRead: Error {}

    /// `store.open` with the sink's own errors unwrapped and a missing object reported as an
    /// incomplete upload.
    private func streaming(_ key: String, uploadID: String, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> StoredObject {
        do {
            return try store.open(key, range: nil, sink: sink)
        } catch {
            switch error {
            case .sinkFailed(let underlying): throw underlying
            case .notFound: throw PublishingError.uploadIncomplete(uploadID)
            default: throw error
            }
        }
    }
}
