/// Standard base64 (RFC 4648 §4, `+/` alphabet, `=` padding) encoding and strict decoding.
///
/// Decoding accepts only canonical text: a multiple of four characters, no whitespace or line
/// breaks, padding only at the end, and zero bits in the unused part of the last character, so
/// that every byte string has exactly one accepted encoding.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let padding = UInt8(ascii: "=")

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(group >> 18 & 0x3F)])
            out.append(alphabet[Int(group >> 12 & 0x3F)])
            out.append(remaining > 1 ? alphabet[Int(group >> 6 & 0x3F)] : padding)
            out.append(remaining > 2 ? alphabet[Int(group & 0x3F)] : padding)
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil unless `text` is canonical padded base64 (see the type's invariants).
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 4 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 4 * 3)
        var index = 0
        while index < utf8.count {
            let isLastGroup = index + 4 == utf8.count
            let padCount = isLastGroup ? utf8[index...].reversed().prefix(while: { $0 == padding }).count : 0
            guard padCount <= 2 else { return nil }
            var group: UInt32 = 0
            for offset in 0..<(4 - padCount) {
                guard let sextet = value(utf8[index + offset]) else { return nil }
                group = group << 6 | UInt32(sextet)
            }
            group <<= 6 * UInt32(padCount)
            // Non-zero leftover bits would let two texts decode to the same bytes.
            let leftoverMask: UInt32 = padCount == 2 ? 0xFFFF : padCount == 1 ? 0xFF : 0
            guard group & leftoverMask == 0 else { return nil }
            out.append(UInt8(group >> 16))
            if padCount < 2 { out.append(UInt8(group >> 8 & 0xFF)) }
            if padCount < 1 { out.append(UInt8(group & 0xFF)) }
            index += 4
        }
        return out
    }

    private static func value(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
