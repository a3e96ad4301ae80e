import JSON

/// Reads typed members out of manifest JSON, turning every missing, mistyped or unknown member
/// into a `ManifestIssue` instead of stopping, so validation reports everything at once.
///
/// Each accessor returns nil only after it has recorded an issue, or when an optional member is absent.
struct ManifestReader {
    private(set) var issues: [ManifestIssue] = []

    mutating func add(_ path: JSONPath, _ code: String, _ message: String) {
        issues.append(ManifestIssue(path, code, message))
    }

    /// The value as an object, or nil after a type issue.
    mutating func object(_ value: JSONValue, at path: JSONPath) -> JSONObject? {
        typed(value, at: path, expected: "object") { $0.objectValue }
    }

    /// Records an `UNKNOWN_FIELD` issue for each member whose key is not in `allowed`.
    mutating func rejectUnknownKeys(of object: JSONObject, at path: JSONPath, allowed: [String]) {
        for key in object.keys where !allowed.contains(key) {
            let canonical = Self.looseForm(key)
            let hint = allowed.first { Self.looseForm($0) == canonical }.map { "; did you mean \"\($0)\"?" }
                ?? "; allowed: " + allowed.joined(separator: ", ")
            add(path.appending(key), ManifestIssue.Code.unknownField, "unknown field \(ManifestSyntax.quoted(key))\(hint)")
        }
    }

    mutating func string(_ key: String, in object: JSONObject, at path: JSONPath, required: Bool) -> String? {
        member(key, in: object, at: path, required: required, expected: "string") { $0.stringValue }
    }

    mutating func array(_ key: String, in object: JSONObject, at path: JSONPath, required: Bool) -> [JSONValue]? {
        member(key, in: object, at: path, required: required, expected: "array") { $0.arrayValue }
    }

    mutating func object(_ key: String, in object: JSONObject, at path: JSONPath, required: Bool) -> JSONObject? {
        member(key, in: object, at: path, required: required, expected: "object") { $0.objectValue }
    }

    mutating func number(_ key: String, in object: JSONObject, at path: JSONPath, required: Bool) -> JSONNumber? {
        member(key, in: object, at: path, required: required, expected: "number") { $0.numberValue }
    }

    /// The elements of an optional array member that are strings, appear once and pass
    /// `convert`, in order. Each other element gets an issue at its own index (a repeat is
    /// reported where it repeats); `convert` records its own issues.
    mutating func uniqueStrings<T>(
        _ key: String, in object: JSONObject, at path: JSONPath,
        _ convert: (inout ManifestReader, String, JSONPath) -> T?
    ) -> [T] {
        guard let elements = array(key, in: object, at: path, required: false) else { return [] }
        let arrayPath = path.appending(key)
        var firstIndex: [String: Int] = [:]
        var results: [T] = []
        for (index, element) in elements.enumerated() {
            let elementPath = arrayPath.appending(index: index)
            guard let text = typed(element, at: elementPath, expected: "string", { $0.stringValue }) else { continue }
            if let first = firstIndex[text] {
                add(elementPath, ManifestIssue.Code.duplicateValue, "\(ManifestSyntax.quoted(text)) is already listed at \(arrayPath.appending(index: first))")
                continue
            }
            firstIndex[text] = index
            if let result = convert(&self, text, elementPath) { results.append(result) }
        }
        return results
    }

    private mutating func member<T>(
        _ key: String, in object: JSONObject, at path: JSONPath, required: Bool, expected: String, _ extract: (JSONValue) -> T?
    ) -> T? {
        guard let value = object[key] else {
            if required { add(path.appending(key), ManifestIssue.Code.required, "\(key) is required") }
            return nil
        }
        return typed(value, at: path.appending(key), expected: expected, extract)
    }

    private mutating func typed<T>(_ value: JSONValue, at path: JSONPath, expected: String, _ extract: (JSONValue) -> T?) -> T? {
        if let result = extract(value) { return result }
        add(path, ManifestIssue.Code.typeMismatch, "expected \(expected), found \(value.typeName)")
        return nil
    }

    /// Lowercased without `_` and `-`, to suggest `displayName` for `display_name` or `DisplayName`.
    private static func looseForm(_ key: String) -> String {
        String(key.lowercased().filter { $0 != "_" && $0 != "-" })
    }
}
