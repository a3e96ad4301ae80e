import HTTPClient

/// Sorts the addresses `http.fetch` might connect to into public unicast (allowed) and the
/// special-purpose ranges it refuses after resolution (DESIGN §7): an extension must not reach
/// the host itself, the private network around it, or a cloud metadata service.
///
/// Invariants: an IPv6 form that carries an IPv4 address (IPv4-mapped, NAT64 `64:ff9b::/96`,
/// 6to4 `2002::/16`) is judged by that IPv4 address; every other address of the reserved
/// `::/8` block (the unspecified and loopback addresses, IPv4-compatible forms) is refused, as
/// is Teredo, which hides its endpoint; anything not listed is public.
public enum EgressAddressPolicy {
    /// Why an address is not public.
    public enum Range: String, Sendable, Equatable {
        case unspecified
        case loopback
        case privateNetwork = "private"
        case sharedAddressSpace = "shared address space (CGNAT)"
        case linkLocal = "link-local"
        case multicast
        case reserved
        case documentation
    }

    /// The special-purpose range `address` belongs to; nil for a public unicast address.
    public static func range(of address: IPAddress) -> Range? {
        address.family == .ipv4 ? ipv4Range(address.bytes) : ipv6Range(address.bytes)
    }

    private static let ipv4Ranges: [(prefix: [UInt8], length: Int, range: Range)] = [
        ([0, 0, 0, 0], 8, .unspecified),
        ([10, 0, 0, 0], 8, .privateNetwork),
        ([100, 64, 0, 0], 10, .sharedAddressSpace),
        ([127, 0, 0, 0], 8, .loopback),
        // 169.254.169.254 is the metadata service of most clouds.
        ([169, 254, 0, 0], 16, .linkLocal),
        ([172, 16, 0, 0], 12, .privateNetwork),
        ([192, 0, 0, 0], 24, .reserved),
        ([192, 0, 2, 0], 24, .documentation),
        ([192, 88, 99, 0], 24, .reserved),
        ([192, 168, 0, 0], 16, .privateNetwork),
        ([198, 18, 0, 0], 15, .reserved),
        ([198, 51, 100, 0], 24, .documentation),
        ([203, 0, 113, 0], 24, .documentation),
        ([224, 0, 0, 0], 4, .multicast),
        // Includes the limited broadcast address 255.255.255.255.
        ([240, 0, 0, 0], 4, .reserved),
    ]

    private static let ipv6Ranges: [(prefix: [UInt8], length: Int, range: Range)] = [
        ([0x00, 0x64, 0xff, 0x9b, 0, 1], 48, .privateNetwork),
        ([0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, .reserved),
        ([0x20, 0x01, 0x0d, 0xb8], 32, .documentation),
        ([0x20, 0x01, 0x00, 0x00], 32, .reserved),
        ([0xfc], 7, .privateNetwork),
        ([0xfe, 0x80], 10, .linkLocal),
        // Site-local, deprecated but still routed inside some networks.
        ([0xfe, 0xc0], 10, .privateNetwork),
        ([0xff], 8, .multicast),
    ]

    private static func ipv4Range(_ bytes: [UInt8]) -> Range? {
        ipv4Ranges.first { hasPrefix(bytes, $0.prefix, length: $0.length) }?.range
    }

    private static func ipv6Range(_ bytes: [UInt8]) -> Range? {
        if let embedded = embeddedIPv4(bytes) { return ipv4Range(embedded) }
        if bytes.allSatisfy({ $0 == 0 }) { return .unspecified }
        if bytes == [UInt8](repeating: 0, count: 15) + [1] { return .loopback }
        if let listed = ipv6Ranges.first(where: { hasPrefix(bytes, $0.prefix, length: $0.length) }) { return listed.range }
        return bytes[0] == 0 ? .reserved : nil
    }

    /// The IPv4 address an IPv6 address stands for: IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated
    /// `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::/48`.
    private static func embeddedIPv4(_ bytes: [UInt8]) -> [UInt8]? {
        let mapped = [UInt8](repeating: 0, count: 10) + [0xff, 0xff]
        let translated = [UInt8](repeating: 0, count: 8) + [0xff, 0xff, 0, 0]
        let nat64: [UInt8] = [0x00, 0x64, 0xff, 0x9b] + [UInt8](repeating: 0, count: 8)
        for prefix in [mapped, translated, nat64] where bytes.starts(with: prefix) {
            return Array(bytes[12..<16])
        }
        if bytes.starts(with: [0x20, 0x02]) { return Array(bytes[2..<6]) }
        return nil
    }

    private static func hasPrefix(_ bytes: [UInt8], _ prefix: [UInt8], length: Int) -> Bool {
        var remaining = length
        for (byte, wanted) in zip(bytes, prefix) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xff : ~(0xff >> UInt8(remaining))
            guard byte & mask == wanted & mask else { return false }
            remaining -= 8
        }
        return remaining <= 0
    }
}
