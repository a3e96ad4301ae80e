import ExthostCore
/// The decoded query string of a request, in order, with repeated names kept.
public struct QueryParameters: Sendable, Equatable {
    public private(set) var items: [(name: String, value: String)]

    public init(items: [(name: String, value: String)] = []) { self.items = items }

    /// Parses `a=1&b=two+words&c=%2F`; nil when an escape is malformed.
    public init?(parsing query: String) {
        var items: [(name: String, value: String)] = []
        // Bytes, not Characters: `&` or `=` followed by a combining mark is one Character that
        // compares unequal to the ASCII one.
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentDecoding.decode(Substring(parts[0]), plusIsSpace: true),
                  let value = PercentDecoding.decode(parts.count > 1 ? Substring(parts[1]) : "", plusIsSpace: true)
            else { return nil }
            items.append((name, value))
        }
        self.items = items
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? { items.first { $0.name == name }?.value }

    public func values(_ name: String) -> [String] { items.filter { $0.name == name }.map(\.value) }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.items.count == rhs.items.count && zip(lhs.items, rhs.items).allSatisfy { $0 == $1 }
    }
}
