/// A detached-signature algorithm exthost accepts; the raw value is the name used in
/// signature files and the API.
public enum SignatureAlgorithm: String, Sendable, CaseIterable {
    /// Pure Ed25519 (RFC 8032) over the message itself, no pre-hash.
    case ed25519 = "ed25519"
    /// ECDSA on P-256 over SHA-256 of the message; the signature is DER `ECDSA-Sig-Value`.
    case ecdsaP256SHA256 = "ecdsa-p256-sha256"
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    case rsaPKCS1SHA256 = "rsa-pkcs1-sha256"
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256; signs with a 32-byte salt, verifies any salt.
    case rsaPSSSHA256 = "rsa-pss-sha256"

    /// The algorithm called `name`, or `SIGNATURE_ALGORITHM_UNSUPPORTED`.
    public init(named name: String) throws(SignatureError) {
        guard let algorithm = SignatureAlgorithm(rawValue: name) else {
            throw .algorithmUnsupported(name)
        }
        self = algorithm
    }

    /// Whether a key of `type` can make and check this kind of signature.
    public func fits(_ type: KeyType) -> Bool {
        switch (self, type) {
        case (.ed25519, .ed25519), (.ecdsaP256SHA256, .ecdsaP256),
             (.rsaPKCS1SHA256, .rsa), (.rsaPSSSHA256, .rsa):
            true
        default:
            false
        }
    }
}

/// The kind of an asymmetric key, as far as exthost's signature algorithms care.
public enum KeyType: Sendable, Hashable, CustomStringConvertible {
    case ed25519
    /// ECDSA on the NIST P-256 curve (prime256v1).
    case ecdsaP256
    case rsa(bits: Int)
    /// Any other key OpenSSL understands (another curve, Ed448, DSA, RSA-PSS-restricted…);
    /// such keys are described but never generated nor used for signatures.
    case other(String)

    /// The smallest RSA modulus exthost signs or verifies with.
    public static let minimumRSABits = 2048

    /// The algorithm `exthost sign` picks for this key when none is asked for.
    public var defaultSignatureAlgorithm: SignatureAlgorithm? {
        switch self {
        case .ed25519: .ed25519
        case .ecdsaP256: .ecdsaP256SHA256
        case .rsa: .rsaPSSSHA256
        case .other: nil
        }
    }

    public var description: String {
        switch self {
        case .ed25519: "Ed25519"
        case .ecdsaP256: "ECDSA P-256"
        case .rsa(let bits): "RSA-\(bits)"
        case .other(let name): name
        }
    }
}
