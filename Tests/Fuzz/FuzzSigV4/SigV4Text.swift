/// Byte-level readers of the texts SigV4 produces, written independently of the signer so that
/// they can judge it.
enum SigV4Text {
    static func isUnreserved(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }

    private static func upperHexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        default: nil
        }
    }

    /// The bytes `text` encodes, or nil unless it is in SigV4's canonical encoding: unreserved
    /// bytes as is (never escaped), every other byte as `%XX` with uppercase hex, and `/` raw
    /// when `slashAllowed` (paths) or escaped otherwise (query items).
    static func decodeCanonical(_ text: some Collection<UInt8>, slashAllowed: Bool) -> [UInt8]? {
        var out: [UInt8] = []
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            if isUnreserved(byte) || (slashAllowed && byte == UInt8(ascii: "/")) {
                out.append(byte)
                continue
            }
            guard byte == UInt8(ascii: "%"), let high = iterator.next().flatMap(upperHexValue), let low = iterator.next().flatMap(upperHexValue)
            else { return nil }
            let decoded = high << 4 | low
            guard !isUnreserved(decoded), !(slashAllowed && decoded == UInt8(ascii: "/")) else { return nil }
            out.append(decoded)
        }
        return out
    }

    /// `name=value&…` in canonical encoding, decoded; nil if any part is not canonical.
    static func decodeQuery(_ text: some Collection<UInt8>) -> [(name: [UInt8], value: [UInt8])]? {
        guard !text.isEmpty else { return [] }
        var items: [(name: [UInt8], value: [UInt8])] = []
        for pair in text.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let name = decodeCanonical(parts[0], slashAllowed: false),
                let value = decodeCanonical(parts[1], slashAllowed: false)
            else { return nil }
            items.append((name, value))
        }
        return items
    }

    /// Spaces and tabs trimmed, inner runs of them turned into one space.
    static func collapsed(_ value: String) -> [UInt8] {
        Array(value.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).joined(separator: [0x20]))
    }

    static func precedes(_ lhs: (name: [UInt8], value: [UInt8]), _ rhs: (name: [UInt8], value: [UInt8])) -> Bool {
        lhs.name == rhs.name ? lhs.value.lexicographicallyPrecedes(rhs.value) : lhs.name.lexicographicallyPrecedes(rhs.name)
    }

    static func isLowercaseHex(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
