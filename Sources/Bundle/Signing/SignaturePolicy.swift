import Cryptography
import ExthostCore

/// Decides whether a bundle's signature is acceptable: the one place finalize, cachefill and
/// `exthost verify` ask.
///
/// With a trust store (SIGNING_TRUST_BUNDLE set) it fails closed: a signature is required, its
/// certificate must chain to (or be pinned in) the trust store and be valid now, its subject CN
/// must equal the manifest's `publisher`, and the signature must verify over `sha256:<hex>`.
/// Without one, a signature is optional, but one that is present is still checked in full
/// except for trust, so a bad signature is never stored.
public struct SignaturePolicy: Sendable {
    public let trustStore: TrustStore?

    public init(trustStore: TrustStore?) { self.trustStore = trustStore }

    /// Who signed, when the policy accepts the bundle.
    public struct Signer: Sendable, Equatable {
        public let commonName: String
        public let certificateFingerprint: String
        public let algorithm: SignatureAlgorithm
        /// True when the certificate was checked against a trust store.
        public let trusted: Bool
    }

    /// Returns the signer (nil for an unsigned bundle accepted without a trust store) or throws
    /// the first reason the signature is refused.
    public func evaluate(
        _ signature: BundleSignature?, contentHash: ContentHash, publisher: String, now: Int64
    ) throws(BundleSignatureError) -> Signer? {
        guard let signature else {
            if trustStore != nil { throw .missing }
            return nil
        }
        let certificate = signature.certificate
        if let trustStore {
            do {
                try trustStore.verify(certificate: certificate, at: now)
            } catch {
                throw .signer(error)
            }
        }
        guard let commonName = certificate.subjectCommonName, commonName == publisher else {
            throw .publisherMismatch(certificateName: certificate.subjectCommonName, publisher: publisher)
        }
        let valid: Bool
        do {
            valid = try certificate.publicKey.verify(
                signature: signature.signature, message: BundleSignature.message(for: contentHash),
                algorithm: signature.algorithm)
        } catch {
            throw .signature(error)
        }
        guard valid else { throw .signature(.invalid) }
        return Signer(
            commonName: commonName, certificateFingerprint: "sha256:" + certificate.fingerprintSHA256.hex,
            algorithm: signature.algorithm, trusted: trustStore != nil)
    }
}

/// Why a bundle signature was refused; every case is a 422 with its own code.
public enum BundleSignatureError: HTTPError, Equatable {
    case missing
    case malformed(String)
    case publisherMismatch(certificateName: String?, publisher: String)
    case keyDoesNotMatchCertificate
    case signature(SignatureError)
    case signer(SignerError)

    public var status: HTTPStatus {
        switch self {
        case .signature(let error): error.status
        case .signer(let error): error.status
        default: .unprocessableEntity
        }
    }

    public var code: String {
        switch self {
        case .missing: "SIGNATURE_REQUIRED"
        case .malformed: "SIGNATURE_MALFORMED"
        case .publisherMismatch: "SIGNER_MISMATCH"
        case .keyDoesNotMatchCertificate: "KEY_CERTIFICATE_MISMATCH"
        case .signature(let error): error.code
        // The publishing API's names (issue 6): the bundle's signer is untrusted, whatever the chain.
        case .signer(.certificateUntrusted): "SIGNER_UNTRUSTED"
        case .signer(let error): error.code
        }
    }

    public var message: String {
        switch self {
        case .missing:
            "a signature is required: this server only accepts bundles signed by a trusted publisher (sign with `exthost sign`)"
        case .malformed(let reason):
            "malformed signature: \(reason)"
        case .publisherMismatch(let name, let publisher):
            "the certificate's subject CN \(name.map { $0.debugDescription } ?? "(none)") is not the manifest publisher \(publisher.debugDescription)"
        case .keyDoesNotMatchCertificate:
            "the private key does not belong to the certificate"
        case .signature(let error): error.message
        case .signer(let error): error.message
        }
    }
}
