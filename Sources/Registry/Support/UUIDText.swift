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
}
