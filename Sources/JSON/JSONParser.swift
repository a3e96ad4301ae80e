/// A recursive-descent parser over a borrowed buffer.
///
/// Every read is preceded by a bounds check against `input.count`; recursion is bounded by
/// `limits.maxDepth`, so no input can crash it or exhaust the stack.
struct JSONParser {
    let input: UnsafeRawBufferPointer
    private let limits: JSONParseLimits
    var position = 0
    private var depth = 0
    /// Reused for strings that contain escapes.
    var scratch: [UInt8] = []

    init(input: UnsafeRawBufferPointer, limits: JSONParseLimits) {
        self.input = input
        self.limits = limits
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard position < input.count else { throw failure(input.isEmpty ? .empty : .unexpectedEnd) }
        let value = try parseValue()
        skipWhitespace()
        guard position == input.count else { throw failure(.trailingCharacters) }
        return value
    }

    // MARK: Values

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard let byte = peek() else { throw failure(.unexpectedEnd) }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure(.unexpectedCharacter(byte))
        }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var object = JSONObject()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return .object(object)
        }
        while true {
            guard let byte = peek() else { throw failure(.unexpectedEnd) }
            guard byte == UInt8(ascii: "\"") else {
                throw failure(byte == UInt8(ascii: "}") && !object.isEmpty ? .trailingComma : .expected("a string key"))
            }
            let keyOffset = position
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after the key")
            skipWhitespace()
            let value: JSONValue
            do {
                value = try parseValue()
            } catch {
                throw error.nested(in: .key(key))
            }
            guard object.appendIfAbsent(key, value) else {
                throw JSONParseError(offset: keyOffset, reason: .duplicateKey(key), path: JSONPath([.key(key)]))
            }
            skipWhitespace()
            guard let separator = peek() else { throw failure(.unexpectedEnd) }
            position += 1
            switch separator {
            case UInt8(ascii: ","): skipWhitespace()
            case UInt8(ascii: "}"): return .object(object)
            default:
                position -= 1
                throw failure(.expected("',' or '}'"))
            }
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            if peek() == UInt8(ascii: "]") { throw failure(.trailingComma) }
            do {
                elements.append(try parseValue())
            } catch {
                throw error.nested(in: .index(elements.count))
            }
            skipWhitespace()
            guard let separator = peek() else { throw failure(.unexpectedEnd) }
            position += 1
            switch separator {
            case UInt8(ascii: ","): skipWhitespace()
            case UInt8(ascii: "]"): return .array(elements)
            default:
                position -= 1
                throw failure(.expected("',' or ']'"))
            }
        }
    }

    private mutating func enterContainer() throws(JSONParseError) {
        guard depth < limits.maxDepth else { throw failure(.tooDeep(limit: limits.maxDepth)) }
        depth += 1
        position += 1
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for expected in bytes {
            guard let byte = peek() else { throw failure(.unexpectedEnd) }
            guard byte == expected else { throw failure(.unexpectedCharacter(byte)) }
            position += 1
        }
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        guard let first = peek() else { throw failure(.unexpectedEnd) }
        guard Self.isDigit(first) else { throw failure(.invalidNumber) }
        position += 1
        if first == UInt8(ascii: "0") {
            if let next = peek(), Self.isDigit(next) { throw failure(.leadingZero) }
        } else {
            skipDigits()
        }
        if peek() == UInt8(ascii: ".") {
            position += 1
            try requireDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            try requireDigits()
        }
        guard position - start <= limits.maxNumberLength else {
            throw JSONParseError(offset: start, reason: .numberTooLong(limit: limits.maxNumberLength))
        }
        return JSONNumber(validatedText: text(from: start, to: position))
    }

    private mutating func requireDigits() throws(JSONParseError) {
        guard let byte = peek() else { throw failure(.unexpectedEnd) }
        guard Self.isDigit(byte) else { throw failure(.invalidNumber) }
        skipDigits()
    }

    private mutating func skipDigits() {
        while let byte = peek(), Self.isDigit(byte) { position += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    // MARK: Input

    func peek() -> UInt8? {
        position < input.count ? input[position] : nil
    }

    func peek(at offset: Int) -> UInt8? {
        offset < input.count ? input[offset] : nil
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(JSONParseError) {
        guard let actual = peek() else { throw failure(.unexpectedEnd) }
        guard actual == byte else { throw failure(.expected(what)) }
        position += 1
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            position += 1
        }
    }

    /// Text of bytes already validated as UTF-8.
    func text(from start: Int, to end: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: input[start..<end]), as: UTF8.self)
    }

    func failure(_ reason: JSONParseError.Reason) -> JSONParseError {
        JSONParseError(offset: position, reason: reason)
    }
}
