/// How `JSONValue.serialized` lays out its output.
public struct JSONWriteOptions: Sendable, Equatable {
    /// Object keys in ascending order of their UTF-8 bytes, so equal values always produce equal text.
    public var sortedKeys: Bool
    /// Two-space indentation and one member per line, for people (CLI output).
    public var pretty: Bool

    public init(sortedKeys: Bool = false, pretty: Bool = false) {
        self.sortedKeys = sortedKeys
        self.pretty = pretty
    }

    public static let compact = JSONWriteOptions()
    public static let canonical = JSONWriteOptions(sortedKeys: true)
    public static let pretty = JSONWriteOptions(sortedKeys: false, pretty: true)
}

extension JSONValue {
    /// The JSON text of this value. Compact output has no whitespace; strings escape only what
    /// JSON requires (`"`, `\`, control characters) and keep `/` and non-ASCII as is.
    public func serialized(_ options: JSONWriteOptions = .compact) -> String {
        String(decoding: serializedBytes(options), as: UTF8.self)
    }

    public func serializedBytes(_ options: JSONWriteOptions = .compact) -> [UInt8] {
        var writer = JSONWriter(options: options)
        writer.write(self, indent: 0)
        return writer.output
    }
}

/// Appends JSON text to a byte buffer.
private struct JSONWriter {
    let options: JSONWriteOptions
    var output: [UInt8] = []

    init(options: JSONWriteOptions) {
        self.options = options
    }

    mutating func write(_ value: JSONValue, indent: Int) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .number(let number): output.append(contentsOf: number.text.utf8)
        case .string(let text): writeString(text)
        case .array(let elements):
            writeContainer(open: "[", close: "]", count: elements.count, indent: indent) { writer, position, inner in
                writer.write(elements[position], indent: inner)
            }
        case .object(let object):
            let members = options.sortedKeys ? object.members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : object.members
            writeContainer(open: "{", close: "}", count: members.count, indent: indent) { writer, position, inner in
                writer.writeString(members[position].key)
                writer.append(writer.options.pretty ? ": " : ":")
                writer.write(members[position].value, indent: inner)
            }
        }
    }

    /// Brackets, separators and (when pretty) newlines around `count` elements written by `element`.
    private mutating func writeContainer(
        open: StaticString, close: StaticString, count: Int, indent: Int,
        element: (inout JSONWriter, Int, Int) -> Void
    ) {
        append(open)
        guard count > 0 else {
            append(close)
            return
        }
        for position in 0..<count {
            if position > 0 { append(",") }
            if options.pretty { newline(indent: indent + 1) }
            element(&self, position, indent + 1)
        }
        if options.pretty { newline(indent: indent) }
        append(close)
    }

    private mutating func newline(indent: Int) {
        output.append(0x0A)
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    mutating func writeString(_ text: String) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0..<0x20:
                append("\\u00")
                output.append(Self.hexDigit(byte >> 4))
                output.append(Self.hexDigit(byte & 0x0F))
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private mutating func append(_ text: StaticString) {
        output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
