/// A private signing key: Ed25519, ECDSA P-256 or RSA (≥ 2048 bits for signing).
///
/// Invariant: immutable; safe to share between threads.
public struct PrivateKey: Sendable {
    let key: EVPKey

    init(key: EVPKey) {
        self.key = key
    }

    /// A fresh key; RSA below 2048 bits is refused with `RSA_KEY_TOO_SMALL`.
    public static func generate(_ type: KeyType) throws(SignatureError) -> PrivateKey {
        PrivateKey(key: try EVPKey.generate(type))
    }

    /// The first private key in `pem`, PKCS#8 (`PRIVATE KEY`) or traditional (`RSA PRIVATE KEY`,
    /// `EC PRIVATE KEY`); encrypted keys are refused with `KEY_INVALID`.
    public init(pem: String) throws(SignatureError) {
        key = try EVPKey.readPrivate(pem: pem)
    }

    public var type: KeyType { key.type }

    /// Unencrypted PKCS#8 PEM, as `openssl genpkey` writes it.
    public var pkcs8PEM: String { key.privatePKCS8PEM }

    public var publicKey: PublicKey { PublicKey(key: key.publicOnly()) }

    /// A detached signature over `message`. Throws `SIGNATURE_ALGORITHM_MISMATCH` when the
    /// algorithm does not fit this key and `RSA_KEY_TOO_SMALL` for RSA below 2048 bits.
    public func sign(_ message: [UInt8], algorithm: SignatureAlgorithm) throws(SignatureError) -> [UInt8] {
        try key.sign(message, algorithm: algorithm)
    }
}
