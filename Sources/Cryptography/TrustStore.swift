/// The certificates a signer may be trusted through: CA certificates and pinned publisher
/// certificates, read from one PEM bundle (`SIGNING_TRUST_BUNDLE`).
///
/// Invariants: holds at least one certificate (an empty bundle fails closed with
/// `TRUST_BUNDLE_INVALID`); immutable and safe to share between threads.
public struct TrustStore: Sendable {
    public let certificates: [Certificate]
    private let store: X509TrustStore

    /// Every certificate of `pem`; `TRUST_BUNDLE_INVALID` when there is none or one is unreadable.
    public init(pem: String) throws(SignerError) {
        let certificates: [Certificate]
        do {
            certificates = try Certificate.parseAll(pem: pem)
        } catch {
            throw .trustBundleInvalid(reason: error.message)
        }
        try self.init(certificates: certificates)
    }

    public init(certificates: [Certificate]) throws(SignerError) {
        guard !certificates.isEmpty else { throw .trustBundleInvalid(reason: "it holds no certificate") }
        self.certificates = certificates
        store = try X509TrustStore(anchors: certificates.map(\.certificate))
    }

    /// Throws unless `certificate` may sign code at `time` (seconds since the epoch): it is
    /// pinned (its DER is in the bundle) or chains through `untrustedChain` to a bundle
    /// certificate, every certificate on the way is within its validity period, and its own
    /// keyUsage/extendedKeyUsage, when present, allow digitalSignature and codeSigning.
    ///
    /// Errors: `CERTIFICATE_UNTRUSTED`, `CERTIFICATE_EXPIRED`, `CERTIFICATE_NOT_YET_VALID`,
    /// `CERTIFICATE_KEY_USAGE`, `CERTIFICATE_INVALID`.
    public func verify(certificate: Certificate, untrustedChain: [Certificate] = [], at time: Int64) throws(SignerError) {
        try store.verifyChain(certificate.certificate, untrusted: untrustedChain.map(\.certificate), at: time)
        if let problem = certificate.certificate.codeSigningUsageProblem {
            throw .certificateKeyUsage(subject: certificate.subject, reason: problem)
        }
    }

    /// Whether `certificate` is byte for byte one of the bundle's certificates.
    public func pins(_ certificate: Certificate) -> Bool {
        certificates.contains(certificate)
    }
}
