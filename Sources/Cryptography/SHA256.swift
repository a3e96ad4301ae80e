import COpenSSL
import ExthostCore

/// An incremental SHA-256 over OpenSSL's EVP interface, for hashing streams chunk by chunk.
///
/// Invariant: owns one `EVP_MD_CTX`, freed in `deinit`; `finalize()` may be called once, after
/// which `update` is a programming error.
public final class SHA256 {
    private let context: OpaquePointer
    private var finalized = false

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        self.context = context
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            fatalError("EVP_DigestInit_ex(SHA-256) failed: OpenSSL is unusable")
        }
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: some ContiguousBytesCollection) {
        precondition(!finalized, "SHA256.update after finalize")
        bytes.withContiguousBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            _ = EVP_DigestUpdate(context, base, raw.count)
        }
    }

    public func finalize() -> Digest {
        precondition(!finalized, "SHA256.finalize called twice")
        finalized = true
        var bytes = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = EVP_DigestFinal_ex(context, &bytes, &length)
        return Digest(bytes: bytes)
    }

    /// The digest of bytes already in memory.
    public static func hash(_ bytes: some ContiguousBytesCollection) -> Digest {
        let hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// A SHA-256 digest.
    public struct Digest: Sendable, Hashable, CustomStringConvertible {
        public let bytes: [UInt8]

        /// 64 lowercase hex digits.
        public var hex: String { Hex.encode(bytes) }
        /// `sha256:<hex>`, the form exthost uses for content hashes.
        public var description: String { "sha256:" + hex }
    }
}

/// Byte containers whose storage can be read in place.
public protocol ContiguousBytesCollection {
    func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytesCollection where Element == UInt8 {
    public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: ContiguousBytesCollection where Element == UInt8 {
    public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension UnsafeRawBufferPointer: ContiguousBytesCollection {
    public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(self)
    }
}

extension String.UTF8View: ContiguousBytesCollection {
    public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Array(self).withUnsafeBytes(body)
    }
}
