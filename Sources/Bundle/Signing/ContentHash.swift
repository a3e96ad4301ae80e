import Cryptography
import ExthostCore

/// The identity of a bundle: SHA-256 of its exact `bundle.tar.zst` bytes, written
/// `sha256:<64 lowercase hex>` everywhere (API, registry, storage keys, signatures).
public struct ContentHash: Sendable, Hashable, CustomStringConvertible, Comparable {
    /// 64 lowercase hex digits.
    public let hex: String

    public init(digest: SHA256.Digest) { hex = digest.hex }

    /// Accepts only the canonical `sha256:<64 lowercase hex>` form.
    public init?(parsing text: String) {
        guard text.hasPrefix("sha256:") else { return nil }
        let hex = String(text.dropFirst(7))
        guard hex.utf8.count == 64,
              hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        self.hex = hex
    }

    public var description: String { "sha256:" + hex }

    public static func < (lhs: ContentHash, rhs: ContentHash) -> Bool { lhs.hex < rhs.hex }
}
