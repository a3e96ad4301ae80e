import COpenSSL

/// One AES-256-GCM encryption or decryption over OpenSSL's `EVP_CIPHER_CTX`; every cipher call
/// of the module lives in this file.
///
/// Invariants: owns one `EVP_CIPHER_CTX`, freed in `deinit`; each `seal`/`open` re-initialises
/// it with its own key and nonce, so nothing carries over between operations. Not thread-safe:
/// callers make one per operation. Key, nonce and tag lengths are checked by `AESGCM` before
/// they get here.
final class AES256GCMContext {
    static let keyLength = 32
    static let nonceLength = 12
    static let tagLength = 16
    /// EVP lengths are C `int`s; larger inputs go through in slices of this size.
    private static let sliceLength = 1 << 20

    private let context: OpaquePointer

    init() throws(AESGCMError) {
        OpenSSLErrorQueue.clear()
        guard let context = EVP_CIPHER_CTX_new() else { throw Self.failure("EVP_CIPHER_CTX_new") }
        self.context = context
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    func seal(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]
    ) throws(AESGCMError) -> (ciphertext: [UInt8], tag: [UInt8]) {
        try start(encrypting: true, key: key, nonce: nonce, associatedData: associatedData)
        let ciphertext = try transform(plaintext)
        try finish(operation: "EVP_CipherFinal_ex(encrypt)")
        var tag = [UInt8](repeating: 0, count: Self.tagLength)
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(Self.tagLength), &tag) == 1 else {
            throw Self.failure("EVP_CTRL_AEAD_GET_TAG")
        }
        return (ciphertext, tag)
    }

    /// The plaintext, or `.authenticationFailed` when the tag does not match; the partial
    /// plaintext of a failed open is overwritten before it is dropped.
    func open(
        _ ciphertext: [UInt8], tag: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]
    ) throws(AESGCMError) -> [UInt8] {
        try start(encrypting: false, key: key, nonce: nonce, associatedData: associatedData)
        var plaintext = try transform(ciphertext)
        var expectedTag = tag
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(Self.tagLength), &expectedTag) == 1 else {
            throw Self.failure("EVP_CTRL_AEAD_SET_TAG")
        }
        do {
            try finish(operation: "EVP_CipherFinal_ex(decrypt)")
        } catch {
            // A tag mismatch is the only way a final decrypt step fails once the context is set up.
            for index in plaintext.indices { plaintext[index] = 0 }
            throw .authenticationFailed
        }
        return plaintext
    }

    private func start(encrypting: Bool, key: [UInt8], nonce: [UInt8], associatedData: [UInt8]) throws(AESGCMError) {
        OpenSSLErrorQueue.clear()
        // GCM's default IV length in OpenSSL is the 96 bits exthost uses, so no length control is needed.
        guard EVP_CipherInit_ex2(context, EVP_aes_256_gcm(), key, nonce, encrypting ? 1 : 0, nil) == 1 else {
            throw Self.failure("EVP_CipherInit_ex2(AES-256-GCM)")
        }
        // A nil output buffer makes the update feed additional authenticated data.
        try update(associatedData, output: nil)
    }

    private func transform(_ input: [UInt8]) throws(AESGCMError) -> [UInt8] {
        // GCM is a stream mode: the output is exactly as long as the input.
        var output = [UInt8](repeating: 0, count: input.count)
        try output.withUnsafeMutableBufferPointer { (buffer) throws(AESGCMError) in try update(input, output: buffer) }
        return output
    }

    private func update(_ input: [UInt8], output: UnsafeMutableBufferPointer<UInt8>?) throws(AESGCMError) {
        try input.withUnsafeBufferPointer { (source) throws(AESGCMError) in
            var offset = 0
            while offset < source.count {
                let length = min(Self.sliceLength, source.count - offset)
                var written: Int32 = 0
                let status = EVP_CipherUpdate(
                    context, output.map { $0.baseAddress! + offset }, &written, source.baseAddress! + offset, Int32(length))
                guard status == 1, output == nil || written == Int32(length) else { throw Self.failure("EVP_CipherUpdate") }
                offset += length
            }
        }
    }

    private func finish(operation: String) throws(AESGCMError) {
        // GCM writes no bytes at the final step; the buffer only satisfies the signature.
        var scratch = [UInt8](repeating: 0, count: Self.tagLength)
        var written: Int32 = 0
        guard EVP_CipherFinal_ex(context, &scratch, &written) == 1, written == 0 else { throw Self.failure(operation) }
    }

    private static func failure(_ operation: String) -> AESGCMError {
        .openssl(operation: operation, reason: OpenSSLErrorQueue.drain())
    }
}
