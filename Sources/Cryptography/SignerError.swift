import ExthostCore

/// Why a signer's certificate is not accepted, or why certificates could not be read or made.
public enum SignerError: HTTPError, Equatable {
    case certificateInvalid(reason: String)
    /// No chain to the trust bundle; `reason` is OpenSSL's verification error text.
    case certificateUntrusted(subject: String, reason: String)
    case certificateExpired(subject: String, notAfter: Int64)
    case certificateNotYetValid(subject: String, notBefore: Int64)
    case certificateKeyUsage(subject: String, reason: String)
    /// The trust bundle is empty or unreadable; verification fails closed.
    case trustBundleInvalid(reason: String)
    /// Making a certificate failed (the CLI's keygen); not the client's fault.
    case issuanceFailed(reason: String)

    public var status: HTTPStatus {
        switch self {
        case .issuanceFailed: .internalServerError
        default: .unprocessableEntity
        }
    }

    public var code: String {
        switch self {
        case .certificateInvalid: "CERTIFICATE_INVALID"
        case .certificateUntrusted: "CERTIFICATE_UNTRUSTED"
        case .certificateExpired: "CERTIFICATE_EXPIRED"
        case .certificateNotYetValid: "CERTIFICATE_NOT_YET_VALID"
        case .certificateKeyUsage: "CERTIFICATE_KEY_USAGE"
        case .trustBundleInvalid: "TRUST_BUNDLE_INVALID"
        case .issuanceFailed: "CERTIFICATE_ISSUANCE_FAILED"
        }
    }

    public var message: String {
        switch self {
        case .certificateInvalid(let reason):
            "invalid certificate: \(reason)"
        case .certificateUntrusted(let subject, let reason):
            "certificate \(subject) does not chain to the trust bundle: \(reason)"
        case .certificateExpired(let subject, let notAfter):
            "certificate \(subject) expired at \(UTCTime.format(notAfter))"
        case .certificateNotYetValid(let subject, let notBefore):
            "certificate \(subject) is not valid before \(UTCTime.format(notBefore))"
        case .certificateKeyUsage(let subject, let reason):
            "certificate \(subject) may not sign code: \(reason)"
        case .trustBundleInvalid(let reason):
            "the signing trust bundle is unusable, so every signature is refused: \(reason)"
        case .issuanceFailed(let reason):
            "could not issue the certificate: \(reason)"
        }
    }
}

/// ISO 8601 UTC text for seconds since the epoch, for messages.
enum UTCTime {
    static func format(_ seconds: Int64) -> String {
        let (days, secondOfDay) = seconds.quotientAndRemainderFlooringTowardNegative(dividingBy: 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(twoDigits(month))-\(twoDigits(day))T\(twoDigits(secondOfDay / 3600)):"
            + "\(twoDigits(secondOfDay / 60 % 60)):\(twoDigits(secondOfDay % 60))Z"
    }

    /// Proleptic Gregorian date of a day number (Howard Hinnant's `civil_from_days`).
    private static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    fileprivate func quotientAndRemainderFlooringTowardNegative(dividingBy divisor: Int64) -> (Int64, Int64) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
