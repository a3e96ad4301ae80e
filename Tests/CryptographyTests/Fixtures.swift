import Cryptography

/// Keys and the signed message shared by the tests: RSA generation is slow, so each key is
/// made once per test run.
enum Fixtures {
    static let ed25519Key = try! PrivateKey.generate(.ed25519)
    static let p256Key = try! PrivateKey.generate(.ecdsaP256)
    static let rsaKey = try! PrivateKey.generate(.rsa(bits: 2048))

    /// What exthost signs: the 71-byte ASCII text `sha256:<64 hex>` of a bundle, no newline.
    static let message = Array(SHA256.hash(Array("bundle.tar.zst bytes".utf8)).description.utf8)

    static func key(for algorithm: SignatureAlgorithm) -> PrivateKey {
        switch algorithm {
        case .ed25519: ed25519Key
        case .ecdsaP256SHA256: p256Key
        case .rsaPKCS1SHA256, .rsaPSSSHA256: rsaKey
        }
    }

    static let otherEd25519Key = try! PrivateKey.generate(.ed25519)
    static let otherP256Key = try! PrivateKey.generate(.ecdsaP256)
    static let otherRSAKey = try! PrivateKey.generate(.rsa(bits: 2048))

    /// A second key of the type `algorithm` needs, different from `key(for:)`.
    static func otherKey(for algorithm: SignatureAlgorithm) -> PrivateKey {
        switch algorithm {
        case .ed25519: otherEd25519Key
        case .ecdsaP256SHA256: otherP256Key
        case .rsaPKCS1SHA256, .rsaPSSSHA256: otherRSAKey
        }
    }

    static let allKeys = [ed25519Key, p256Key, rsaKey]

    /// The bytes with one bit flipped at `index`.
    static func flipped(_ bytes: [UInt8], at index: Int) -> [UInt8] {
        var copy = bytes
        copy[index] ^= 0x01
        return copy
    }
}
