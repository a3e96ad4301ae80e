import ExthostCore

/// The percent-encoding AWS specifies for SigV4 (RFC 3986): the unreserved characters
/// `A-Z a-z 0-9 - . _ ~` stay, every other UTF-8 byte becomes `%XX` with uppercase hex.
///
/// The same function encodes the wire form (S3 keys, query items) and the canonical form, so the
/// URL that is sent and the request that is signed cannot disagree.
enum SigV4Encoding {
    private static let upperHex = Array("0123456789ABCDEF".utf8)

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// `text` encoded; `/` is kept as is when `keepSlash` (paths), encoded otherwise (query items).
    static func encode(_ text: some StringProtocol, keepSlash: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(upperHex[Int(byte >> 4)])
                out.append(upperHex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `key=value` pairs, both sides encoded, joined by `&`, in the given order.
    static func queryString(_ items: [S3QueryItem]) -> String {
        items.map { encode($0.name, keepSlash: false) + "=" + encode($0.value, keepSlash: false) }.joined(separator: "&")
    }

    /// RFC 3986 §5.2.4 dot-segment removal, plus the AWS rule that empty segments (`//`) go too;
    /// a leading and a trailing `/` are kept.
    ///
    /// Works on bytes, as AWS does: split into Characters, a `/` or `.` followed by a combining
    /// mark would hide the separator or the dot segment.
    static func normalizedPath(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var kept: [String.UTF8View.SubSequence] = []
        for segment in path.utf8.split(separator: slash, omittingEmptySubsequences: true) where !segment.elementsEqual([dot]) {
            if segment.elementsEqual([dot, dot]) {
                if !kept.isEmpty { kept.removeLast() }
            } else {
                kept.append(segment)
            }
        }
        let leading = path.utf8.first == slash ? "/" : ""
        let trailing = path.utf8.last == slash && !kept.isEmpty ? "/" : ""
        return leading + String(decoding: Array(kept.joined(separator: [slash])), as: UTF8.self) + trailing
    }
}
