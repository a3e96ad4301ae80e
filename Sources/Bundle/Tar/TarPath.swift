/// Turns a raw archive name into a safe relative path, or rejects it.
///
/// Accepted: relative names whose components are not empty, `.` or `..`; a leading `./` (as GNU
/// tar writes) and repeated or trailing `/` are dropped. The result is valid UTF-8 and within the
/// length and depth limits.
enum TarPath {
    private static let slash = UInt8(ascii: "/")
    private static let dot: ArraySlice<UInt8> = [UInt8(ascii: ".")]
    private static let dotDot: ArraySlice<UInt8> = [UInt8(ascii: "."), UInt8(ascii: ".")]

    /// The normalized path, or nil for the archive root itself (`./`, which GNU tar emits as a
    /// directory and which needs no entry).
    static func normalize(_ raw: [UInt8], isDirectory: Bool, limits: TarLimits) throws(TarError) -> String? {
        let name = display(raw)
        guard !raw.isEmpty else { throw .invalidName(name, reason: "the name is empty") }
        guard !raw.contains(0) else { throw .invalidName(name, reason: "the name contains a NUL byte") }
        guard raw.first != slash else { throw .absolutePath(name) }

        var components = raw.split(separator: slash, omittingEmptySubsequences: true)
        guard !components.contains(dotDot) else { throw .pathTraversal(name) }
        let leadingDots = components.prefix(while: { $0 == dot }).count
        components.removeFirst(leadingDots)
        guard !components.contains(dot) else { throw .invalidName(name, reason: "a '.' component inside the path") }

        if components.isEmpty {
            guard isDirectory else { throw .invalidName(name, reason: "a file cannot be the archive root") }
            return nil
        }
        guard components.count <= limits.maxPathDepth else {
            throw .invalidName(name, reason: "nested deeper than \(limits.maxPathDepth) levels")
        }
        guard components.allSatisfy({ $0.count <= TarLimits.maxComponentBytes }) else {
            throw .invalidName(name, reason: "a component is longer than \(TarLimits.maxComponentBytes) bytes")
        }
        let joined = Array(components.joined(separator: [slash]))
        guard joined.count <= limits.maxPathBytes else {
            throw .invalidName(name, reason: "longer than \(limits.maxPathBytes) bytes")
        }
        guard let path = String(validating: joined, as: UTF8.self) else {
            throw .invalidName(name, reason: "the name is not valid UTF-8")
        }
        return path
    }

    /// A form of `raw` safe to show in a message: invalid UTF-8 replaced, control characters
    /// escaped, and at most `maxCharacters` characters.
    static func display(_ raw: [UInt8], maxCharacters: Int = 200) -> String {
        var shown = ""
        for (count, scalar) in String(decoding: raw, as: UTF8.self).unicodeScalars.enumerated() {
            if count == maxCharacters {
                shown += "…"
                break
            }
            shown += scalar.properties.generalCategory == .control ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return shown
    }
}
