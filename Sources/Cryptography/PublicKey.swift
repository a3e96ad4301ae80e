/// A public key that checks detached signatures, read from PEM or taken from a certificate.
///
/// Invariant: immutable; safe to share between threads. Two values are equal when their public
/// components are.
public struct PublicKey: Sendable, Equatable {
    let key: EVPKey

    init(key: EVPKey) {
        self.key = key
    }

    /// The first `PUBLIC KEY` (SubjectPublicKeyInfo) block in `pem`.
    public init(pem: String) throws(SignatureError) {
        key = try EVPKey.readPublic(pem: pem)
    }

    public var type: KeyType { key.type }

    /// SubjectPublicKeyInfo PEM, as `openssl pkey -pubout` writes it.
    public var pem: String { key.publicPEM }

    /// SubjectPublicKeyInfo DER.
    public var der: [UInt8] { key.publicDER }

    /// Whether `signature` is a valid `algorithm` signature of `message` by this key. A wrong,
    /// truncated or undecodable signature is `false`; RSA-PSS signatures of any salt length are
    /// accepted. Throws only when the algorithm cannot be used with this key at all:
    /// `SIGNATURE_ALGORITHM_MISMATCH`, or `RSA_KEY_TOO_SMALL` below 2048 bits.
    public func verify(signature: [UInt8], message: [UInt8], algorithm: SignatureAlgorithm) throws(SignatureError) -> Bool {
        try key.verify(signature: signature, message: message, algorithm: algorithm)
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
        lhs.key.hasSamePublicKey(as: rhs.key)
    }
}
