import JSON

/// Reads the members of one JSON object by name, then rejects whatever it did not read.
///
/// Invariant: every error names the full path of the member at fault; `finish()` must be called
/// once all members were read, so an unknown or misspelled member is a 400 and never ignored.
public struct FieldReader {
    public let object: JSONObject
    public let path: JSONPath
    private var read: Set<String> = []

    public init(_ object: JSONObject, path: JSONPath) {
        self.object = object
        self.path = path
    }

    /// The member's value, nil when absent; JSON `null` is a value (and the wrong type everywhere).
    private mutating func member(_ key: String, required: Bool) throws(InputError) -> JSONValue? {
        read.insert(key)
        guard let value = object[key] else {
            if required { throw .missingField(path.appending(key)) }
            return nil
        }
        return value
    }

    public mutating func string(_ key: String, required: Bool = false, maxLength: Int = 1024) throws(InputError) -> String? {
        guard let value = try member(key, required: required) else { return nil }
        guard let string = value.stringValue else { throw .wrongType(path.appending(key), expected: "a string") }
        guard !string.isEmpty else { throw .invalidValue(path.appending(key), reason: "must not be empty") }
        guard !string.utf8.contains(0) else { throw .invalidValue(path.appending(key), reason: "contains U+0000") }
        guard string.utf8.count <= maxLength else { throw .invalidValue(path.appending(key), reason: "is longer than \(maxLength) bytes") }
        return string
    }

    public mutating func bool(_ key: String, required: Bool = false) throws(InputError) -> Bool? {
        guard let value = try member(key, required: required) else { return nil }
        guard let bool = value.boolValue else { throw .wrongType(path.appending(key), expected: "true or false") }
        return bool
    }

    /// A whole number (no fraction or exponent that leaves one) within `range`.
    public mutating func integer(_ key: String, required: Bool = false, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(InputError) -> Int64? {
        guard let value = try member(key, required: required) else { return nil }
        guard let number = value.numberValue?.intValue.map(Int64.init) else { throw .wrongType(path.appending(key), expected: "a whole number") }
        guard range.contains(number) else { throw .invalidValue(path.appending(key), reason: "must be between \(range.lowerBound) and \(range.upperBound)") }
        return number
    }

    public mutating func object(_ key: String, required: Bool = false) throws(InputError) -> JSONObject? {
        guard let value = try member(key, required: required) else { return nil }
        guard let object = value.objectValue else { throw .wrongType(path.appending(key), expected: "an object") }
        return object
    }

    /// An array of distinct non-empty strings, each at most `maxLength` bytes.
    public mutating func stringArray(_ key: String, required: Bool = false, maxCount: Int = 256, maxLength: Int = 256) throws(InputError) -> [String]? {
        guard let value = try member(key, required: required) else { return nil }
        let keyPath = path.appending(key)
        guard let items = value.arrayValue else { throw .wrongType(keyPath, expected: "an array of strings") }
        guard items.count <= maxCount else { throw .invalidValue(keyPath, reason: "has more than \(maxCount) items") }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            let itemPath = keyPath.appending(index: index)
            guard let string = item.stringValue else { throw .wrongType(itemPath, expected: "a string") }
            guard !string.isEmpty, string.utf8.count <= maxLength, !string.utf8.contains(0) else {
                throw .invalidValue(itemPath, reason: "must be 1 to \(maxLength) bytes")
            }
            guard !strings.contains(string) else { throw .invalidValue(itemPath, reason: "repeats \"\(string)\"") }
            strings.append(string)
        }
        return strings
    }

    /// Throws for the first member that was never read.
    public func finish() throws(InputError) {
        if let unknown = object.keys.first(where: { !read.contains($0) }) {
            throw .unknownField(path.appending(unknown))
        }
    }
}
