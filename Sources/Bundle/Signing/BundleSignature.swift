import Cryptography
import ExthostCore
import JSON

/// A detached bundle signature as it travels: the content of `bundle.tar.zst.sig` and the
/// `signature` field of finalize, `{"algorithm","signature" (base64),"certificate" (PEM)}`.
///
/// Invariant: what it signs is always the ASCII text `sha256:<64 hex>` of the bundle, 71 bytes,
/// no newline (`BundleSignature.message(for:)`).
public struct BundleSignature: Sendable, Equatable {
    public let algorithm: SignatureAlgorithm
    public let signature: [UInt8]
    public let certificate: Certificate

    public init(algorithm: SignatureAlgorithm, signature: [UInt8], certificate: Certificate) {
        self.algorithm = algorithm
        self.signature = signature
        self.certificate = certificate
    }

    /// The exact bytes a bundle signature covers.
    public static func message(for contentHash: ContentHash) -> [UInt8] { Array(contentHash.description.utf8) }

    /// Signs `contentHash` with `key`; the algorithm defaults to the key's natural one
    /// (Ed25519, ECDSA P-256 with SHA-256, RSA-PSS with SHA-256).
    public static func sign(
        _ contentHash: ContentHash, key: PrivateKey, certificate: Certificate, algorithm: SignatureAlgorithm? = nil
    ) throws(BundleSignatureError) -> BundleSignature {
        guard certificate.publicKey == key.publicKey else { throw .keyDoesNotMatchCertificate }
        guard let chosen = algorithm ?? key.type.defaultSignatureAlgorithm else {
            throw .signature(.algorithmUnsupported("\(key.type)"))
        }
        do {
            let bytes = try key.sign(message(for: contentHash), algorithm: chosen)
            return BundleSignature(algorithm: chosen, signature: bytes, certificate: certificate)
        } catch {
            throw .signature(error)
        }
    }

    // MARK: JSON form

    public init(json value: JSONValue) throws(BundleSignatureError) {
        guard let object = value.objectValue else { throw .malformed("the signature must be a JSON object") }
        for key in object.keys where !["algorithm", "signature", "certificate"].contains(key) {
            throw .malformed("unknown field \(key.debugDescription)")
        }
        guard let name = object["algorithm"]?.stringValue else { throw .malformed("\"algorithm\" (string) is required") }
        guard let encoded = object["signature"]?.stringValue else { throw .malformed("\"signature\" (base64 string) is required") }
        guard let pem = object["certificate"]?.stringValue else { throw .malformed("\"certificate\" (PEM string) is required") }
        do {
            algorithm = try SignatureAlgorithm(named: name)
        } catch {
            throw .signature(error)
        }
        guard let bytes = Base64.decode(encoded), !bytes.isEmpty else { throw .malformed("\"signature\" is not valid base64") }
        signature = bytes
        do {
            certificate = try Certificate(pem: pem)
        } catch {
            throw .signer(error)
        }
    }

    /// Parses the bytes of a `.sig` file or request field (at most 64 KiB).
    public init(jsonBytes bytes: [UInt8]) throws(BundleSignatureError) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes, limits: JSONParseLimits(maxDepth: 4, maxBytes: 64 * 1024))
        } catch {
            throw .malformed("not valid JSON: \(error.message)")
        }
        try self.init(json: value)
    }

    public var jsonValue: JSONValue {
        .object([
            ("algorithm", .string(algorithm.rawValue)),
            ("signature", .string(Base64.encode(signature))),
            ("certificate", .string(certificate.pem)),
        ])
    }
}
