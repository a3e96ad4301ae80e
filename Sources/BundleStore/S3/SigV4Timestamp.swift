#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The signing instant in the two UTC forms SigV4 uses: `YYYYMMDD'T'HHMMSS'Z'` and `YYYYMMDD`.
///
/// Invariant: `epochSeconds` lies in years 1970…9999, so both forms have a fixed width.
public struct SigV4Timestamp: Sendable, Equatable {
    public let epochSeconds: Int64
    /// `20150830T123600Z`: the `X-Amz-Date` value.
    public let amzDate: String

    /// Seconds since 1970-01-01T00:00:00Z; traps outside years 1970…9999.
    public init(epochSeconds: Int64) {
        precondition(epochSeconds >= 0 && epochSeconds < 253_402_300_800, "SigV4Timestamp: \(epochSeconds) is outside years 1970...9999")
        self.epochSeconds = epochSeconds
        var seconds = time_t(epochSeconds)
        var fields = tm()
        guard gmtime_r(&seconds, &fields) != nil else { fatalError("gmtime_r failed for \(epochSeconds)") }
        amzDate = Self.digits(Int(fields.tm_year) + 1900, width: 4)
            + Self.digits(Int(fields.tm_mon) + 1, width: 2)
            + Self.digits(Int(fields.tm_mday), width: 2)
            + "T"
            + Self.digits(Int(fields.tm_hour), width: 2)
            + Self.digits(Int(fields.tm_min), width: 2)
            + Self.digits(Int(fields.tm_sec), width: 2)
            + "Z"
    }

    /// The current time of the system clock.
    public static func now() -> SigV4Timestamp {
        SigV4Timestamp(epochSeconds: Int64(time(nil)))
    }

    /// `20150830`: the date of the credential scope.
    public var dateStamp: String { String(amzDate.prefix(8)) }

    private static func digits(_ value: Int, width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
