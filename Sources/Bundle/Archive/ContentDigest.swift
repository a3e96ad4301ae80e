import Cryptography

/// The content hash and size of a bundle, as exthost names bundles: `sha256:<hex>` of the exact
/// compressed bytes.
public struct BundleDigest: Sendable, Hashable {
    public let contentHash: ContentHash
    /// Compressed size in bytes.
    public let size: Int

    public init(contentHash: ContentHash, size: Int) {
        self.contentHash = contentHash
        self.size = size
    }
}

/// Accumulates a `BundleDigest` over bytes pushed in chunks of any size.
final class ContentDigest {
    private let hasher = SHA256()
    private var size = 0

    func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bytes)
        size += bytes.count
    }

    func finalize() -> BundleDigest {
        BundleDigest(contentHash: ContentHash(digest: hasher.finalize()), size: size)
    }
}
