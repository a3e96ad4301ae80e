/// A parsed X.509 certificate with the fields exthost's signer checks read.
///
/// Invariants: immutable and safe to share; the validity period and public key were readable
/// and the extensions well-formed when it was parsed. Two values are equal when their DER is.
public struct Certificate: Sendable, Equatable {
    let certificate: X509Certificate
    /// The exact DER encoding, as parsed or issued.
    public let der: [UInt8]
    /// The subject's commonName; nil when there is none, more than one, or one holding a NUL.
    public let subjectCommonName: String?
    /// The subject distinguished name in RFC 2253 form, for messages and logs.
    public let subject: String
    /// Start of the validity period, seconds since the epoch.
    public let notBefore: Int64
    /// End of the validity period, seconds since the epoch.
    public let notAfter: Int64
    public let publicKey: PublicKey
    /// basicConstraints CA:TRUE.
    public let isCA: Bool

    init(_ certificate: X509Certificate) throws(SignerError) {
        guard !certificate.hasInvalidExtensions else {
            throw .certificateInvalid(reason: "\(certificate.subjectText): malformed or repeated extensions")
        }
        guard let notBefore = certificate.notBefore, let notAfter = certificate.notAfter else {
            throw .certificateInvalid(reason: "\(certificate.subjectText): unreadable validity period")
        }
        guard let key = certificate.publicKey else {
            throw .certificateInvalid(reason: "\(certificate.subjectText): unsupported or corrupt public key")
        }
        self.certificate = certificate
        der = certificate.der
        subjectCommonName = certificate.subjectCommonName
        subject = certificate.subjectText
        self.notBefore = notBefore
        self.notAfter = notAfter
        publicKey = PublicKey(key: key)
        isCA = certificate.isCA
    }

    /// The one certificate in `pem`; `CERTIFICATE_INVALID` when there is none or more than one
    /// (use `parseAll` for bundles and chains).
    public init(pem: String) throws(SignerError) {
        let all = try Certificate.parseAll(pem: pem)
        guard all.count == 1 else {
            throw .certificateInvalid(reason: "expected one CERTIFICATE PEM block, found \(all.count)")
        }
        self = all[0]
    }

    /// The certificate encoded by exactly the bytes `der`.
    public init(der: [UInt8]) throws(SignerError) {
        try self.init(X509Certificate.parse(der: der))
    }

    /// Every `CERTIFICATE` block of `pem`, in order (possibly none); other PEM blocks are skipped.
    public static func parseAll(pem: String) throws(SignerError) -> [Certificate] {
        var certificates: [Certificate] = []
        for parsed in try X509Certificate.parseAll(pem: pem) {
            certificates.append(try Certificate(parsed))
        }
        return certificates
    }

    public var pem: String { certificate.pem }

    /// SHA-256 of the DER encoding, as `openssl x509 -fingerprint -sha256` shows it.
    public var fingerprintSHA256: SHA256.Digest { SHA256.hash(der) }

    /// Whether `time` (seconds since the epoch) lies within the validity period as OpenSSL's
    /// verifier sees it: from notBefore included to notAfter excluded.
    public func isValid(at time: Int64) -> Bool {
        notBefore <= time && time < notAfter
    }

    /// A self-signed version 3 certificate for `key`: a dev CA when `isCA`, else a publisher
    /// certificate that can be pinned in a trust bundle.
    public static func selfSigned(commonName: String, key: PrivateKey, days: Int, isCA: Bool) throws(SignerError) -> Certificate {
        let request = CertificateRequest(commonName: commonName, subjectKey: key.key, days: days, isCA: isCA)
        return try Certificate(X509Certificate.issue(request, issuer: nil, issuerKey: key.key))
    }

    /// A version 3 publisher (leaf, CA:FALSE, digitalSignature) certificate for `publicKey`,
    /// issued by the CA `issuerCert` whose private key is `issuerKey`.
    public static func issue(commonName: String, publicKey: PublicKey, issuerCert: Certificate, issuerKey: PrivateKey, days: Int) throws(SignerError) -> Certificate {
        let request = CertificateRequest(commonName: commonName, subjectKey: publicKey.key, days: days, isCA: false)
        return try Certificate(X509Certificate.issue(request, issuer: issuerCert.certificate, issuerKey: issuerKey.key))
    }

    public static func == (lhs: Certificate, rhs: Certificate) -> Bool {
        lhs.der == rhs.der
    }
}
