import Glibc

/// An IPv4 or IPv6 address as network-order bytes: what a connect guard is shown, and what an
/// address policy compares and classifies.
///
/// Invariants: `bytes` holds exactly 4 (IPv4) or 16 (IPv6) bytes; the text form is the one
/// `inet_ntop` writes, so equal addresses always print the same.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Sendable {
        case ipv4
        case ipv6
    }

    public let bytes: [UInt8]

    /// nil unless `bytes` holds 4 or 16 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses strict dotted-quad IPv4 (four decimal parts, as `inet_pton` reads them) or IPv6
    /// text without brackets or zone; nil for anything else, host names included.
    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.count <= 64, !text.utf8.contains(0) else { return nil }
        let family = text.contains(":") ? AF_INET6 : AF_INET
        var storage = [UInt8](repeating: 0, count: family == AF_INET6 ? 16 : 4)
        let parsed = storage.withUnsafeMutableBytes { inet_pton(family, text, $0.baseAddress) }
        guard parsed == 1 else { return nil }
        bytes = storage
    }

    public var family: Family { bytes.count == 4 ? .ipv4 : .ipv6 }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = self.family == .ipv4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        guard written != nil else { return bytes.map(String.init).joined(separator: ".") }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
