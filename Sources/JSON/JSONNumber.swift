/// A JSON number kept as the exact text it was written with, so nothing is lost in a round trip.
///
/// The text always matches the RFC 8259 `number` grammar. Numeric views are computed on demand:
/// `intValue` is exact (never rounded), `doubleValue` is the nearest binary64.
public struct JSONNumber: Sendable, Equatable, CustomStringConvertible {
    public let text: String

    /// Wraps text the parser has already matched against the number grammar.
    init(validatedText: String) {
        self.text = validatedText
    }

    public init(_ value: Int) {
        self.text = String(value)
    }

    /// Nil unless `text` is exactly one JSON number (no sign `+`, no leading zeros, no spaces).
    public init?(text: String) {
        guard case .number(let number)? = try? JSONValue.parse(text), number.text == text else { return nil }
        self = number
    }

    /// Nil for NaN and infinities, which JSON cannot express.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        // Swift prints the shortest text that reads back as the same Double, e.g. `0.1`, `1e-05`.
        self.text = value.description
    }

    public var description: String { text }

    /// The value when it is mathematically an integer that fits `Int` (`10`, `1.0`, `1e3`);
    /// nil otherwise (`1.5`, `1e30`). Exact for every such integer, not only up to 2^53.
    public var intValue: Int? {
        DecimalText(text).exactInteger()
    }

    /// The nearest `Double`; nil when the magnitude is too large for a `Double`.
    public var doubleValue: Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// Integer values compare exactly, other values by their nearest `Double`.
    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if lhs.text == rhs.text { return true }
        let left = lhs.intValue
        let right = rhs.intValue
        if left != nil || right != nil { return left == right }
        guard let leftDouble = lhs.doubleValue, let rightDouble = rhs.doubleValue else { return false }
        return leftDouble == rightDouble
    }
}

/// The parts of a number's text, for exact integer conversion without going through `Double`.
private struct DecimalText {
    var negative = false
    /// Significant digits (integer part then fraction), as ASCII.
    var digits: [UInt8] = []
    /// Power of ten applied to `digits`; clamped so absurd exponents cannot overflow.
    var exponent = 0

    init(_ text: String) {
        var fractionDigits = 0
        var explicitExponent = 0
        var exponentNegative = false
        var part = 0  // 0 integer, 1 fraction, 2 exponent
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-") where part == 0: negative = true
            case UInt8(ascii: "-"): exponentNegative = true
            case UInt8(ascii: "+"): break
            case UInt8(ascii: "."): part = 1
            case UInt8(ascii: "e"), UInt8(ascii: "E"): part = 2
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if part == 2 {
                    explicitExponent = min(explicitExponent * 10 + Int(byte - UInt8(ascii: "0")), 1_000_000)
                } else {
                    digits.append(byte)
                    if part == 1 { fractionDigits += 1 }
                }
            default: break
            }
        }
        exponent = (exponentNegative ? -explicitExponent : explicitExponent) - fractionDigits
    }

    func exactInteger() -> Int? {
        var significant = digits.drop { $0 == UInt8(ascii: "0") }
        var power = exponent
        while significant.last == UInt8(ascii: "0") {
            significant.removeLast()
            power += 1
        }
        if significant.isEmpty { return 0 }
        guard power >= 0, significant.count + power <= 19 else { return nil }
        var magnitude: UInt64 = 0
        for digit in significant {
            magnitude = magnitude * 10 + UInt64(digit - UInt8(ascii: "0"))
        }
        for _ in 0..<power {
            let (product, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            magnitude = product
        }
        if negative {
            guard magnitude <= UInt64(Int.max) + 1 else { return nil }
            return magnitude == UInt64(Int.max) + 1 ? Int.min : -Int(magnitude)
        }
        guard magnitude <= UInt64(Int.max) else { return nil }
        return Int(magnitude)
    }
}
