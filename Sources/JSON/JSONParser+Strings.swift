extension JSONParser {
    /// Reads a string starting at its opening quote. Strings without escapes are decoded
    /// straight from the input; `scratch` collects the bytes only once an escape appears.
    mutating func parseString() throws(JSONParseError) -> String {
        position += 1
        let start = position
        var usesScratch = false
        while true {
            guard let byte = peek() else { throw failure(.unexpectedEnd) }
            switch byte {
            case UInt8(ascii: "\""):
                let result = usesScratch ? String(decoding: scratch, as: UTF8.self) : text(from: start, to: position)
                position += 1
                return result
            case UInt8(ascii: "\\"):
                if !usesScratch {
                    scratch.removeAll(keepingCapacity: true)
                    scratch.append(contentsOf: input[start..<position])
                    usesScratch = true
                }
                try parseEscape()
            case 0..<0x20:
                throw failure(.controlCharacterInString)
            case 0x20..<0x80:
                if usesScratch { scratch.append(byte) }
                position += 1
            default:
                let length = try utf8SequenceLength()
                if usesScratch { scratch.append(contentsOf: input[position..<position + length]) }
                position += length
            }
        }
    }

    /// Decodes the escape at `position` (a backslash) into `scratch`.
    private mutating func parseEscape() throws(JSONParseError) {
        let escapeStart = position
        position += 1
        guard let byte = peek() else { throw failure(.unexpectedEnd) }
        position += 1
        let simple: UInt8? = switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): byte
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
        if let simple {
            scratch.append(simple)
            return
        }
        guard byte == UInt8(ascii: "u") else {
            throw JSONParseError(offset: escapeStart, reason: .invalidEscape)
        }
        let unit = try hexQuad()
        let scalarValue: UInt32
        switch unit {
        case 0xD800...0xDBFF:
            guard peek() == UInt8(ascii: "\\"), peek(at: position + 1) == UInt8(ascii: "u") else {
                throw JSONParseError(offset: escapeStart, reason: .loneSurrogate)
            }
            position += 2
            let low = try hexQuad()
            guard (0xDC00...0xDFFF).contains(low) else {
                throw JSONParseError(offset: escapeStart, reason: .loneSurrogate)
            }
            scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        case 0xDC00...0xDFFF:
            throw JSONParseError(offset: escapeStart, reason: .loneSurrogate)
        default:
            scalarValue = UInt32(unit)
        }
        // Surrogates were excluded above, so the scalar always exists.
        guard let scalar = Unicode.Scalar(scalarValue) else { throw JSONParseError(offset: escapeStart, reason: .loneSurrogate) }
        scratch.append(contentsOf: UTF8.encode(scalar)!)
    }

    private mutating func hexQuad() throws(JSONParseError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw failure(.unexpectedEnd) }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure(.invalidEscape)
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    /// The length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, surrogates or
    /// values above U+10FFFF) that starts at `position` with a non-ASCII byte.
    private func utf8SequenceLength() throws(JSONParseError) -> Int {
        let lead = input[position]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw failure(.invalidUTF8)
        }
        for offset in 1..<length {
            guard let byte = peek(at: position + offset),
                  (offset == 1 ? secondRange : 0x80...0xBF).contains(byte) else {
                throw failure(.invalidUTF8)
            }
        }
        return length
    }
}
