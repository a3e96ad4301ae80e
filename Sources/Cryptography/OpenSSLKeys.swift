import COpenSSL

/// An OpenSSL asymmetric key (`EVP_PKEY`): generation, PEM/DER I/O, and the four exthost
/// signature algorithms.
///
/// Invariant: owns one `EVP_PKEY`, freed in `deinit`, never mutated after `init`; `type` is
/// computed once. OpenSSL 3 allows concurrent signing and verifying with one key because each
/// operation gets its own `EVP_MD_CTX`, hence `@unchecked Sendable`.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer
    let type: KeyType

    /// Salt length used when making RSA-PSS signatures: the SHA-256 digest length.
    static let pssSigningSaltLength: Int32 = 32
    private static let largestRSABits = 16_384

    /// Takes ownership of `pointer` (one reference).
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
        type = EVPKey.classify(pointer)
    }

    deinit { EVP_PKEY_free(pointer) }

    // MARK: Generation and I/O

    static func generate(_ type: KeyType) throws(SignatureError) -> EVPKey {
        let algorithmName: String
        switch type {
        case .ed25519: algorithmName = "ED25519"
        case .ecdsaP256: algorithmName = "EC"
        case .rsa(let bits):
            guard bits >= KeyType.minimumRSABits else { throw .rsaKeyTooSmall(bits: bits) }
            guard bits <= largestRSABits else { throw .keyInvalid(reason: "RSA keys above \(largestRSABits) bits are not supported") }
            algorithmName = "RSA"
        case .other(let name):
            throw .keyInvalid(reason: "cannot generate \(name) keys; use Ed25519, ECDSA P-256 or RSA")
        }
        OpenSSLErrorQueue.clear()
        guard let context = EVP_PKEY_CTX_new_from_name(nil, algorithmName, nil) else {
            throw failure("EVP_PKEY_CTX_new_from_name(\(algorithmName))")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw failure("EVP_PKEY_keygen_init") }
        switch type {
        case .ecdsaP256:
            guard EVP_PKEY_CTX_set_group_name(context, "P-256") == 1 else { throw failure("set EC group P-256") }
        case .rsa(let bits):
            guard EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1 else { throw failure("set RSA key bits") }
        case .ed25519, .other:
            break
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) == 1, let key else { throw failure("EVP_PKEY_generate") }
        return EVPKey(taking: key)
    }

    /// The first private key in `pem`: PKCS#8 (`PRIVATE KEY`) or a traditional
    /// (`RSA PRIVATE KEY`, `EC PRIVATE KEY`) block; other blocks before it are skipped.
    static func readPrivate(pem: String) throws(SignatureError) -> EVPKey {
        // Encrypted keys would make OpenSSL ask for a passphrase; the callback below refuses,
        // and this gives the reason in words.
        guard !pem.contains("ENCRYPTED") else {
            throw .keyInvalid(reason: "encrypted private keys are not supported; decrypt it first (openssl pkey -in KEY -out PLAIN.pem)")
        }
        OpenSSLErrorQueue.clear()
        let read = MemoryBIO(text: pem).withPointer { PEM_read_bio_PrivateKey($0, nil, { _, _, _, _ in -1 }, nil) }
        guard let key = read else {
            throw .keyInvalid(reason: "no readable private key in the PEM text (\(OpenSSLErrorQueue.drain()))")
        }
        return EVPKey(taking: key)
    }

    /// The first `PUBLIC KEY` (SubjectPublicKeyInfo) block in `pem`.
    static func readPublic(pem: String) throws(SignatureError) -> EVPKey {
        OpenSSLErrorQueue.clear()
        let read = MemoryBIO(text: pem).withPointer { PEM_read_bio_PUBKEY($0, nil, nil, nil) }
        guard let key = read else {
            throw .keyInvalid(reason: "no readable PUBLIC KEY block in the PEM text (\(OpenSSLErrorQueue.drain()))")
        }
        return EVPKey(taking: key)
    }

    /// An `EVPKey` holding only the public half of this one.
    func publicOnly() -> EVPKey {
        let der = publicDER
        let key: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let key else { fatalError("d2i_PUBKEY of OpenSSL's own encoding failed: \(OpenSSLErrorQueue.drain())") }
        return EVPKey(taking: key)
    }

    /// The private key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    var privatePKCS8PEM: String {
        MemoryBIO.collectText("PEM_write_bio_PrivateKey") { PEM_write_bio_PrivateKey($0, pointer, nil, nil, 0, nil, nil) }
    }

    /// The public key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    var publicPEM: String {
        MemoryBIO.collectText("PEM_write_bio_PUBKEY") { PEM_write_bio_PUBKEY($0, pointer) }
    }

    /// The public key as DER SubjectPublicKeyInfo.
    var publicDER: [UInt8] {
        DEREncoding.encode("i2d_PUBKEY") { i2d_PUBKEY(pointer, $0) }
    }

    /// Whether both keys have the same public components.
    func hasSamePublicKey(as other: EVPKey) -> Bool {
        let same = EVP_PKEY_eq(pointer, other.pointer) == 1
        OpenSSLErrorQueue.clear()
        return same
    }

    // MARK: Signatures

    func sign(_ message: [UInt8], algorithm: SignatureAlgorithm) throws(SignatureError) -> [UInt8] {
        try checkUsable(for: algorithm)
        let context = try EVPKey.newDigestContext()
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestSignInit_ex(context, &keyContext, algorithm.digestName, nil, nil, pointer, nil) == 1,
              EVPKey.configurePadding(keyContext, for: algorithm, saltLength: EVPKey.pssSigningSaltLength)
        else { throw EVPKey.failure("signature setup for \(algorithm.rawValue)") }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else {
            throw EVPKey.failure("signature size for \(algorithm.rawValue)")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw EVPKey.failure("signing with \(algorithm.rawValue)")
        }
        // ECDSA's DER encoding is often a byte or two shorter than the maximum size asked for.
        signature.removeLast(signature.count - length)
        return signature
    }

    /// true only for a valid signature; a wrong or undecodable signature is false, not an error.
    func verify(signature: [UInt8], message: [UInt8], algorithm: SignatureAlgorithm) throws(SignatureError) -> Bool {
        try checkUsable(for: algorithm)
        let context = try EVPKey.newDigestContext()
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit_ex(context, &keyContext, algorithm.digestName, nil, nil, pointer, nil) == 1,
              EVPKey.configurePadding(keyContext, for: algorithm, saltLength: RSA_PSS_SALTLEN_AUTO)
        else { throw EVPKey.failure("verification setup for \(algorithm.rawValue)") }
        let result = EVP_DigestVerify(context, signature, signature.count, message, message.count)
        // A bad signature leaves decoding errors queued; they are expected, not a failure.
        OpenSSLErrorQueue.clear()
        return result == 1
    }

    private func checkUsable(for algorithm: SignatureAlgorithm) throws(SignatureError) {
        guard algorithm.fits(type) else { throw .algorithmMismatch(algorithm: algorithm, keyType: type) }
        if case .rsa(let bits) = type, bits < KeyType.minimumRSABits { throw .rsaKeyTooSmall(bits: bits) }
    }

    /// Sets RSA padding (and PSS parameters) on the operation's key context; a no-op otherwise.
    private static func configurePadding(_ keyContext: OpaquePointer?, for algorithm: SignatureAlgorithm, saltLength: Int32) -> Bool {
        switch algorithm {
        case .ed25519, .ecdsaP256SHA256:
            return true
        case .rsaPKCS1SHA256:
            return EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PADDING) == 1
        case .rsaPSSSHA256:
            return EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PSS_PADDING) == 1
                && EVP_PKEY_CTX_set_rsa_mgf1_md_name(keyContext, "SHA256", nil) == 1
                && EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, saltLength) == 1
        }
    }

    // MARK: Classification

    private static func classify(_ key: OpaquePointer) -> KeyType {
        if EVP_PKEY_is_a(key, "ED25519") == 1 { return .ed25519 }
        if EVP_PKEY_is_a(key, "RSA") == 1 { return .rsa(bits: Int(EVP_PKEY_get_bits(key))) }
        if EVP_PKEY_is_a(key, "EC") == 1 {
            var name = [CChar](repeating: 0, count: 80)
            var length = 0
            guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1 else {
                OpenSSLErrorQueue.clear()
                return .other("EC (unnamed curve)")
            }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return OBJ_txt2nid(curve) == NID_X9_62_prime256v1 ? .ecdsaP256 : .other("EC \(curve)")
        }
        guard let name = EVP_PKEY_get0_type_name(key) else { return .other("unknown key type") }
        return .other(String(cString: name))
    }

    /// A fresh `EVP_MD_CTX` for one operation (error queue cleared); the caller frees it.
    private static func newDigestContext() throws(SignatureError) -> OpaquePointer {
        OpenSSLErrorQueue.clear()
        guard let context = EVP_MD_CTX_new() else { throw failure("EVP_MD_CTX_new") }
        return context
    }

    private static func failure(_ operation: String) -> SignatureError {
        .cryptoFailure(operation: operation, reason: OpenSSLErrorQueue.drain())
    }
}

extension SignatureAlgorithm {
    /// The digest OpenSSL is given; nil for Ed25519, which signs the message itself.
    fileprivate var digestName: String? {
        self == .ed25519 ? nil : "SHA256"
    }
}
