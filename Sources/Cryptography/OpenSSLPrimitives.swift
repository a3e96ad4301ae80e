import COpenSSL

/// HMAC-SHA-256 (RFC 2104) of messages already in memory, as AWS Signature V4 needs.
public enum HMACSHA256 {
    public static let length = 32

    public static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var code = [UInt8](repeating: 0, count: length)
        var written = 0
        OpenSSLErrorQueue.clear()
        let result = EVP_Q_mac(nil, "HMAC", nil, "SHA256", nil, key, key.count, message, message.count, &code, code.count, &written)
        // HMAC-SHA-256 over memory fails only when OpenSSL itself is unusable.
        guard result != nil, written == length else { fatalError("HMAC-SHA256 failed: \(OpenSSLErrorQueue.drain())") }
        return code
    }
}

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    /// `count` random bytes. An unseeded or failed generator stops the process rather than
    /// hand out predictable bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max), "SecureRandom.bytes: invalid count \(count)")
        var bytes = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return bytes }
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { fatalError("RAND_bytes failed: \(OpenSSLErrorQueue.drain())") }
        return bytes
    }
}

/// Comparison of secrets (MACs, tokens) whose time does not depend on where they differ.
public enum ConstantTime {
    /// Equal length and equal bytes; only the lengths may leak through timing.
    public static func equals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard !lhs.isEmpty else { return true }
        return CRYPTO_memcmp(lhs, rhs, lhs.count) == 0
    }
}
