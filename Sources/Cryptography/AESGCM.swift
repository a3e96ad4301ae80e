import ExthostCore

/// A value encrypted and authenticated with AES-256-GCM, in the three parts the registry
/// stores (`install_secrets.nonce`, `.ciphertext`, `.tag`).
///
/// Invariant: none by construction (the parts come back from storage as they are); `AESGCM.open`
/// checks that the nonce is 12 bytes and the tag 16 before using them.
public struct SealedSecret: Sendable, Equatable {
    public let nonce: [UInt8]
    public let ciphertext: [UInt8]
    public let tag: [UInt8]

    public init(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.tag = tag
    }
}

/// AES-256-GCM with a fresh random 96-bit nonce per seal, for small secrets at rest.
///
/// The associated data is authenticated but not stored in the sealed value: bind each secret to
/// where it lives (e.g. tenant, install and name) so a ciphertext copied to another row fails to
/// open. Random 96-bit nonces stay safe for about 2³² seals under one key (NIST SP 800-38D §8.3).
public enum AESGCM {
    /// Fresh random 96-bit nonce per call (SecureRandom).
    public static func seal(_ plaintext: [UInt8], key: SecretsKey, associatedData: [UInt8]) throws(AESGCMError) -> SealedSecret {
        let nonce = SecureRandom.bytes(AES256GCMContext.nonceLength)
        let sealed = try AES256GCMContext().seal(plaintext, key: key.bytes, nonce: nonce, associatedData: associatedData)
        return SealedSecret(nonce: nonce, ciphertext: sealed.ciphertext, tag: sealed.tag)
    }

    /// The plaintext; a wrong key, wrong associated data or any changed byte is `.authenticationFailed`.
    public static func open(_ sealed: SealedSecret, key: SecretsKey, associatedData: [UInt8]) throws(AESGCMError) -> [UInt8] {
        guard sealed.nonce.count == AES256GCMContext.nonceLength else {
            throw .invalidInput(reason: "nonce is \(sealed.nonce.count) bytes, expected \(AES256GCMContext.nonceLength)")
        }
        guard sealed.tag.count == AES256GCMContext.tagLength else {
            throw .invalidInput(reason: "tag is \(sealed.tag.count) bytes, expected \(AES256GCMContext.tagLength)")
        }
        return try AES256GCMContext().open(
            sealed.ciphertext, tag: sealed.tag, key: key.bytes, nonce: sealed.nonce, associatedData: associatedData)
    }
}

/// Why a secret could not be sealed or opened; all are server-side faults (500), since secrets
/// at rest are never supplied by a client in sealed form.
public enum AESGCMError: HTTPError, Equatable {
    /// Wrong key, wrong associated data, or the nonce, ciphertext or tag was altered.
    case authenticationFailed
    /// A stored value of impossible shape (e.g. a nonce that is not 12 bytes).
    case invalidInput(reason: String)
    /// OpenSSL failed where it should not (out of memory, broken provider).
    case openssl(operation: String, reason: String)

    public var status: HTTPStatus { .internalServerError }

    public var code: String {
        switch self {
        case .authenticationFailed: "SECRET_AUTHENTICATION_FAILED"
        case .invalidInput: "SECRET_MALFORMED"
        case .openssl: "CRYPTO_FAILURE"
        }
    }

    public var message: String {
        switch self {
        case .authenticationFailed:
            "a stored secret could not be decrypted: it was altered, moved, or sealed with another EXTHOST_SECRETS_KEY"
        case .invalidInput(let reason):
            "a stored secret is malformed: \(reason)"
        case .openssl(let operation, _):
            // OpenSSL's own text stays in the associated value for the log.
            "cryptographic operation \(operation) failed"
        }
    }
}
