/// The text form of a key lifetime: a positive whole number and one unit, `s`, `m`, `h` or
/// `d` (`3600s`, `30m`, `12h`, `90d`), as `exthost admin create-key --expires-in` takes it.
public enum APIKeyLifetime {
    public static let syntax = "a whole number followed by s, m, h or d (e.g. 90d, 12h, 30m, 3600s)"

    /// nil unless `text` has the documented shape; the range is checked by `APIKeyStore.create`.
    public static func parse(_ text: String) -> Duration? {
        guard let unit = text.last, case let digits = text.dropLast(), (1...9).contains(digits.count),
            digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isWholeNumber), let count = Int64(digits), count > 0
        else { return nil }
        switch unit {
        case "s": return .seconds(count)
        case "m": return .seconds(count * 60)
        case "h": return .seconds(count * 3_600)
        case "d": return .seconds(count * 86_400)
        default: return nil
        }
    }
}
