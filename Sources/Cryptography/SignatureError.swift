import ExthostCore

/// Why a key could not be used or a signature could not be made or checked.
public enum SignatureError: HTTPError, Equatable {
    /// The signature does not match the message and key (raised by callers of `verify`).
    case invalid
    case algorithmUnsupported(String)
    case algorithmMismatch(algorithm: SignatureAlgorithm, keyType: KeyType)
    /// Bad base64, or bytes that cannot be a signature at all.
    case malformed(reason: String)
    case rsaKeyTooSmall(bits: Int)
    /// A key PEM that cannot be read (wrong block, corrupt, encrypted, unsupported).
    case keyInvalid(reason: String)
    /// OpenSSL failed where it should not (out of memory, broken provider); not the client's fault.
    case cryptoFailure(operation: String, reason: String)

    public var status: HTTPStatus {
        switch self {
        case .cryptoFailure: .internalServerError
        default: .unprocessableEntity
        }
    }

    public var code: String {
        switch self {
        case .invalid: "SIGNATURE_INVALID"
        case .algorithmUnsupported: "SIGNATURE_ALGORITHM_UNSUPPORTED"
        case .algorithmMismatch: "SIGNATURE_ALGORITHM_MISMATCH"
        case .malformed: "SIGNATURE_MALFORMED"
        case .rsaKeyTooSmall: "RSA_KEY_TOO_SMALL"
        case .keyInvalid: "KEY_INVALID"
        case .cryptoFailure: "CRYPTO_FAILURE"
        }
    }

    public var message: String {
        switch self {
        case .invalid:
            "the signature does not verify for this bundle hash and certificate"
        case .algorithmUnsupported(let name):
            "unsupported signature algorithm \(name.debugDescription); use one of "
                + SignatureAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
        case .algorithmMismatch(let algorithm, let keyType):
            "signature algorithm \(algorithm.rawValue) does not fit a \(keyType) key"
        case .malformed(let reason):
            "malformed signature: \(reason)"
        case .rsaKeyTooSmall(let bits):
            "RSA key of \(bits) bits is too small; at least \(KeyType.minimumRSABits) bits are required"
        case .keyInvalid(let reason):
            "invalid key: \(reason)"
        case .cryptoFailure(let operation, let reason):
            "cryptographic operation \(operation) failed: \(reason)"
        }
    }
}
