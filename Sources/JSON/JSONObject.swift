/// The members of a JSON object, in document order.
///
/// Keys are unique: inserting an existing key replaces its value in place. Small objects are
/// searched linearly; past `indexThreshold` members a hash index keeps lookups O(1), so a
/// hostile document with many keys cannot make parsing quadratic.
public struct JSONObject: Sendable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSONValue)

    public private(set) var members: [Element] = []
    private var index: [String: Int]?

    private static let indexThreshold = 12

    public init() {}

    /// Members in order; a repeated key keeps its first position and takes its last value.
    public init(_ pairs: some Sequence<(String, JSONValue)>) {
        for (key, value) in pairs { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }
    public subscript(position: Int) -> Element { members[position] }

    public var keys: [String] { members.map(\.key) }

    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { members[$0].value } }
        set {
            switch (position(of: key), newValue) {
            case (let existing?, let value?): members[existing].value = value
            case (nil, let value?): append(key, value)
            case (let existing?, nil): remove(at: existing)
            case (nil, nil): break
            }
        }
    }

    public func contains(key: String) -> Bool { position(of: key) != nil }

    /// Adds a member unless the key is already present; false means a duplicate (the parser's check).
    mutating func appendIfAbsent(_ key: String, _ value: JSONValue) -> Bool {
        guard position(of: key) == nil else { return false }
        append(key, value)
        return true
    }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        return members.firstIndex { $0.key == key }
    }

    private mutating func append(_ key: String, _ value: JSONValue) {
        members.append((key, value))
        if index != nil {
            index![key] = members.count - 1
        } else if members.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    private mutating func remove(at position: Int) {
        members.remove(at: position)
        index = nil
        if members.count > Self.indexThreshold { rebuildIndex() }
    }

    private mutating func rebuildIndex() {
        var built: [String: Int] = [:]
        built.reserveCapacity(members.count * 2)
        for (position, member) in members.enumerated() { built[member.key] = position }
        index = built
    }
}

extension JSONObject: Equatable {
    /// Objects are equal when they have the same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.members.allSatisfy { member in rhs[member.key] == member.value }
    }
}
