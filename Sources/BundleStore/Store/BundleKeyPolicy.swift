import Bundle

/// Where bundles live in the store (DESIGN §6): `<base><hex>/bundle.tar.zst`,
/// `<base><hex>/manifest.json` and `staging/<uploadId>/bundle.tar.zst`.
///
/// Invariant: `base` is a validated relative prefix ending in `/` (see `S3Configuration`), and a
/// staging key is only built from an upload id of 8 to 64 letters, digits and `-`, so no key can
/// leave `staging/`.
public struct BundleKeyPolicy: Sendable, Equatable {
    public let base: String

    public static let stagingPrefix = "staging/"
    public static let bundleFileName = "bundle.tar.zst"
    public static let manifestFileName = "manifest.json"

    public init(base: String) {
        precondition(S3Configuration.isValidBase(base), "BundleKeyPolicy: invalid base prefix")
        self.base = base
    }

    public func canonicalBundleKey(hash: ContentHash) -> String { base + hash.hex + "/" + Self.bundleFileName }

    public func canonicalManifestKey(hash: ContentHash) -> String { base + hash.hex + "/" + Self.manifestFileName }

    public func stagingKey(uploadId: String) throws(BundleStoreError) -> String {
        guard Self.isValidUploadId(uploadId) else { throw .invalidUploadId }
        return Self.stagingPrefix + uploadId + "/" + Self.bundleFileName
    }

    public static func isValidUploadId(_ uploadId: String) -> Bool {
        (8...64).contains(uploadId.utf8.count)
            && uploadId.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            }
    }
}
