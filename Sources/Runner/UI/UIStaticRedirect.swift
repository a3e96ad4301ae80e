import Bundle
import ContentCache

/// The `X-Accel-Redirect` target of a UI file after a miss: nginx's internal location, which
/// serves `<cache root>/sha256/` with the same headers as a hit.
///
/// Invariant: every name is percent-encoded except RFC 3986's unreserved characters, because
/// nginx decodes the header and would otherwise take a `?` for a query or a `%` for an escape;
/// names are already free of `/`, `.` and `..` (`UIAssetPath`), so the target stays in the tree.
enum UIStaticRedirect {
    static let location = "/_exthost_static/"

    /// `/_exthost_static/sha256/<hex>/ui/<names…>`.
    static func uri(hash: ContentHash, names: [String]) -> String {
        let components = [ContentCacheLayout.treesDirectory, hash.hex, ContentCacheLayout.uiDirectory] + names.map(percentEncoded)
        return location + components.joined(separator: "/")
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func percentEncoded(_ name: String) -> String {
        var encoded: [UInt8] = []
        for byte in name.utf8 {
            if isUnreserved(byte) {
                encoded.append(byte)
            } else {
                encoded += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
