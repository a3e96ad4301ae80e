import COpenSSL

/// An OpenSSL `X509_STORE` in which every certificate of a trust bundle is a trust anchor.
///
/// Invariant: owns the store, freed in `deinit`; filled in `init` and read-only afterwards.
/// OpenSSL locks the store for lookups and each verification has its own `X509_STORE_CTX`,
/// hence `@unchecked Sendable`.
final class X509TrustStore: @unchecked Sendable {
    private let pointer: OpaquePointer
    /// NIST's 112-bit level: refuses RSA keys below 2048 bits and SHA-1 signatures anywhere in a chain.
    private static let securityLevel: Int32 = 2

    init(anchors: [X509Certificate]) throws(SignerError) {
        guard let store = X509_STORE_new() else {
            throw .trustBundleInvalid(reason: "X509_STORE_new: \(OpenSSLErrorQueue.drain())")
        }
        pointer = store
        for anchor in anchors where X509_STORE_add_cert(store, anchor.pointer) != 1 {
            throw .trustBundleInvalid(reason: "cannot add \(anchor.subjectText): \(OpenSSLErrorQueue.drain())")
        }
    }

    deinit { X509_STORE_free(pointer) }

    /// Throws unless `leaf` chains, through `untrusted` intermediates if needed, to a certificate
    /// of the store (a pinned leaf is its own one-certificate chain), with every certificate of
    /// the chain valid at `time` (seconds since the epoch).
    ///
    /// The chain is checked in OpenSSL's default mode, not `X509_V_FLAG_X509_STRICT`: strict mode
    /// refuses CA certificates without keyUsage, which `openssl req -x509` makes by default.
    /// `X509_V_FLAG_PARTIAL_CHAIN` makes every bundle certificate an anchor, so that
    /// intermediate CAs and pinned publisher certificates are trusted without their issuers.
    func verifyChain(_ leaf: X509Certificate, untrusted: [X509Certificate], at time: Int64) throws(SignerError) {
        OpenSSLErrorQueue.clear()
        guard let context = X509_STORE_CTX_new(), let chain = exthost_sk_X509_new_null() else {
            fatalError("X509_STORE_CTX_new: out of memory")
        }
        defer {
            X509_STORE_CTX_free(context)
            exthost_sk_X509_free(chain)
        }
        for certificate in untrusted where exthost_sk_X509_push(chain, certificate.pointer) <= 0 {
            fatalError("sk_X509_push: out of memory")
        }
        guard X509_STORE_CTX_init(context, pointer, leaf.pointer, chain) == 1 else {
            fatalError("X509_STORE_CTX_init: \(OpenSSLErrorQueue.drain())")
        }
        let parameters = X509_STORE_CTX_get0_param(context)
        X509_VERIFY_PARAM_set_time(parameters, time_t(time))
        X509_VERIFY_PARAM_set_auth_level(parameters, X509TrustStore.securityLevel)
        X509_STORE_CTX_set_flags(context, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        let verified = X509_verify_cert(context)
        guard verified != 1 else { return }
        let error = X509_STORE_CTX_get_error(context)
        let reason = String(cString: X509_verify_cert_error_string(Int(error)))
        // The certificate OpenSSL was looking at when it failed: the leaf or one of its issuers.
        let failing: X509Certificate
        if let current = X509_STORE_CTX_get_current_cert(context), X509_up_ref(current) == 1 {
            failing = X509Certificate(taking: current)
        } else {
            failing = leaf
        }
        OpenSSLErrorQueue.clear()
        let subject = failing.subjectText
        switch error {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            throw .certificateExpired(subject: subject, notAfter: failing.notAfter ?? time)
        case X509_V_ERR_CERT_NOT_YET_VALID:
            throw .certificateNotYetValid(subject: subject, notBefore: failing.notBefore ?? time)
        case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
            throw .certificateInvalid(reason: "\(subject): \(reason)")
        default:
            throw .certificateUntrusted(subject: subject, reason: reason)
        }
    }
}
