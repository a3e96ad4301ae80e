import Cryptography
import ExthostCore

/// The canonical text form of a UUID, the only form the registry accepts as an id.
public enum UUIDText {
    /// `text` lowercased when it is 8-4-4-4-12 hexadecimal digits, else nil (so no malformed id
    /// ever reaches a `uuid` column and turns into a database error).
    public static func normalized(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return nil }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return nil }
            } else {
                guard Hex.digitValue(byte) != nil else { return nil }
            }
        }
        return text.lowercased()
    }

    /// A random (version 4) uuid in canonical form.
    public static func random() -> String {
        var bytes = SecureRandom.bytes(16)
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = Hex.encode(bytes)
        let utf8 = Array(hex.utf8)
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(decoding: utf8[$0], as: UTF8.self) }
        return groups.joined(separator: "-")
    }
}
