import ExthostCore
import FastCGI
import FuzzSupport

/// Properties of `PercentDecoding` and `QueryParameters(parsing:)` on any text: they agree with
/// a byte-level reading of the documented rules (`%XX` in either case, `+` as a space in queries,
/// nil for a broken escape or a result that is not UTF-8), and any text survives being encoded
/// as a query item and parsed again.
enum QueryChecks {
    static func check(_ bytes: [UInt8]) {
        // The text as `EnvironmentBlock` hands it over: invalid UTF-8 already replaced.
        let query = String(decoding: bytes, as: UTF8.self)
        for plusIsSpace in [false, true] {
            let decoded = PercentDecoding.decode(Substring(query), plusIsSpace: plusIsSpace).map { Array($0.utf8) }
            fuzzCheck(decoded == ReferenceDecoding.decode(Array(query.utf8)[...], plusIsSpace: plusIsSpace), "PercentDecoding disagrees with the reference (plusIsSpace: \(plusIsSpace))")
        }
        let pairs = Array(query.utf8).split(separator: UInt8(ascii: "&")).map { pair in
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            return (name: parts[0], value: parts.count > 1 ? parts[1] : [][...])
        }
        let expected = pairs.map { (ReferenceDecoding.decode($0.name, plusIsSpace: true), ReferenceDecoding.decode($0.value, plusIsSpace: true)) }
        let parsed = QueryParameters(parsing: query)
        if expected.contains(where: { $0.0 == nil || $0.1 == nil }) {
            fuzzCheck(parsed == nil, "a query with a broken escape was accepted")
        } else {
            fuzzCheck(parsed.map { items(of: $0) == expected.map { [$0.0!, $0.1!] } } ?? false, "parsed query differs from the reference")
        }
        // The raw pieces as item text: whatever they hold, encoding then parsing gives them back.
        let raw = pairs.map { (String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)) }
        let encoded = raw.enumerated().map { encode($1.0, plusForSpace: $0 % 2 == 0) + "=" + encode($1.1, plusForSpace: $0 % 2 == 1) }
        let reparsed = QueryParameters(parsing: encoded.joined(separator: "&"))
        fuzzCheck(reparsed.map { items(of: $0) == raw.map { [Array($0.0.utf8), Array($0.1.utf8)] } } ?? false, "decode(encode(items)) differs from the items")
    }

    private static func items(of query: QueryParameters) -> [[[UInt8]]] {
        query.items.map { [Array($0.name.utf8), Array($0.value.utf8)] }
    }

    /// Everything but `A-Z a-z 0-9 - . _ ~` escaped, a space as `+` or `%20`.
    private static func encode(_ text: String, plusForSpace: Bool) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: " ") where plusForSpace:
                out.append(UInt8(ascii: "+"))
            default:
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
