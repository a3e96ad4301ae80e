import ExthostCore
/// Request ids: the caller's `X-Request-Id` when it is well-formed, otherwise a new random one.
///
/// Well-formed means 1...128 characters of `A-Z a-z 0-9 . _ - : @`, so an id can be logged and
/// echoed without escaping or injection concerns.
public enum RequestID {
    public static func accepting(_ incoming: String?) -> String {
        if let incoming, isWellFormed(incoming) { return incoming }
        return generate()
    }

    public static func isWellFormed(_ id: String) -> Bool {
        let bytes = id.utf8
        return (1...128).contains(bytes.count) && bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "._-:@".utf8.contains(byte)
            }
        }
    }

    /// 128 random bits as 32 lowercase hex digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
