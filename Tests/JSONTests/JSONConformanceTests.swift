import ExthostCore
import JSON
import Testing

@Suite struct JSONConformanceTests {
    static let valid: [String] = [
        "null", "true", "false", "0", "-0", "1", "-1", "0.5", "-0.5", "1e10", "1E+10", "1e-10", "1.25e3",
        "123456789012345678901234567890", "1e400", "\"\"", "\"a\"", "\"\\u0000\"", "\"\\ud83d\\ude00\"",
        "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\u{e9}\u{4e2d}\u{1F600}\"", "[]", "{}", "[1,2,3]", "{\"a\":1,\"b\":[true,null]}",
        " \t\r\n[ 1 , { \"x\" : \"y\" } ] \n", "{\"\":0}", "{\"a\":{\"a\":{\"a\":1}}}", "[[],[[]],{}]",
        "\"\u{7F}\"",
    ]

    @Test(arguments: valid)
    func acceptsValidDocuments(_ text: String) throws {
        _ = try JSONValue.parse(text)
    }

    static let invalid: [(String, JSONParseError.Reason)] = [
        ("", .empty),
        ("   ", .unexpectedEnd),
        ("nul", .unexpectedEnd),
        ("nulx", .unexpectedCharacter(UInt8(ascii: "x"))),
        ("True", .unexpectedCharacter(UInt8(ascii: "T"))),
        ("[1,]", .trailingComma),
        ("{\"a\":1,}", .trailingComma),
        ("[1 2]", .expected("',' or ']'")),
        ("{\"a\" 1}", .expected("':' after the key")),
        ("{a:1}", .expected("a string key")),
        ("{'a':1}", .expected("a string key")),
        ("[,1]", .unexpectedCharacter(UInt8(ascii: ","))),
        ("// c\n1", .unexpectedCharacter(UInt8(ascii: "/"))),
        ("[1] /* c */", .trailingCharacters),
        ("NaN", .unexpectedCharacter(UInt8(ascii: "N"))),
        ("Infinity", .unexpectedCharacter(UInt8(ascii: "I"))),
        ("-Infinity", .invalidNumber),
        ("01", .leadingZero),
        ("-01", .leadingZero),
        ("1.", .unexpectedEnd),
        ("1.e5", .invalidNumber),
        (".5", .unexpectedCharacter(UInt8(ascii: "."))),
        ("+1", .unexpectedCharacter(UInt8(ascii: "+"))),
        ("1e", .unexpectedEnd),
        ("1e+", .unexpectedEnd),
        ("0x10", .trailingCharacters),
        ("1 2", .trailingCharacters),
        ("{} {}", .trailingCharacters),
        ("\"abc", .unexpectedEnd),
        ("\"a\tb\"", .controlCharacterInString),
        ("\"a\nb\"", .controlCharacterInString),
        ("\"\\x\"", .invalidEscape),
        ("\"\\u12\"", .invalidEscape),
        ("\"\\u12G4\"", .invalidEscape),
        ("\"\\ud83d\"", .loneSurrogate),
        ("\"\\ud83dx\"", .loneSurrogate),
        ("\"\\ud83d\\u0041\"", .loneSurrogate),
        ("\"\\ude00\"", .loneSurrogate),
        ("\"\\ude00\\ud83d\"", .loneSurrogate),
        ("{\"a\":1,\"a\":2}", .duplicateKey("a")),
        ("\u{FEFF}1", .unexpectedCharacter(0xEF)),
        ("'a'", .unexpectedCharacter(UInt8(ascii: "'"))),
        ("[1]]", .trailingCharacters),
        ("{\"a\":1", .unexpectedEnd),
        ("[", .unexpectedEnd),
    ]

    @Test(arguments: invalid)
    func rejectsInvalidDocuments(_ text: String, _ reason: JSONParseError.Reason) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        do {
            _ = try JSONValue.parse(text)
        } catch {
            #expect(error.reason == reason, "\(text.debugDescription): \(error.message)")
            #expect(error.status == .badRequest)
        }
    }

    static let invalidUTF8: [[UInt8]] = [
        [0x22, 0xFF, 0x22],  // never valid
        [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
        [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong three-byte
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // encoded surrogate U+D800
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
        [0x22, 0xC3, 0x22],  // truncated sequence
        [0x22, 0x80, 0x22],  // lone continuation byte
        [0x22, 0xE2, 0x82],  // truncated at end of input
    ]

    @Test(arguments: invalidUTF8)
    func rejectsInvalidUTF8(_ bytes: [UInt8]) {
        #expect { try JSONValue.parse(bytes) } throws: { error in
            (error as? JSONParseError)?.reason == .invalidUTF8 && (error as? JSONParseError)?.offset == 1
        }
    }

    @Test func acceptsEveryUTF8Length() throws {
        let bytes: [UInt8] = [0x22, 0x41, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xF4, 0x8F, 0xBF, 0xBF, 0x22]
        #expect(try JSONValue.parse(bytes) == .string("A\u{E9}\u{20AC}\u{1F600}\u{10FFFF}"))
    }

    @Test func decodesEscapes() throws {
        let value = try JSONValue.parse(#""a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\ud83d\ude00""#)
        #expect(value == .string("a\"b\\c/d\u{08}\u{0C}\n\r\tA\u{E9}\u{1F600}"))
        #expect(try JSONValue.parse(#""\u0000""#).stringValue?.unicodeScalars.first?.value == 0)
    }

    @Test func rejectsDuplicateKeysWithTheirPath() {
        let text = #"{"api":{"endpoints":[{"method":"GET"},{"path":"/a","path":"/b"}]}}"#
        #expect { try JSONValue.parse(text) } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            return error.code == "JSON_DUPLICATE_KEY" && error.status == .badRequest
                && error.path.description == "api.endpoints[1].path"
                && error.offset == 51
                && error.message == #"invalid JSON at byte 51 (at api.endpoints[1].path): duplicate key "path""#
        }
    }

    @Test func reportsTheByteOffsetAndPathOfAnError() {
        #expect { try JSONValue.parse(#"{"a": [1, 2, tru]}"#) } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            return error.offset == 16 && error.path.description == "a[2]" && error.code == "INVALID_JSON"
                && error.message == "invalid JSON at byte 16 (at a[2]): unexpected character ']'"
        }
    }

    @Test func limitsNestingDepth() throws {
        let allowed = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONValue.parse(allowed)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect { try JSONValue.parse(tooDeep) } throws: { error in
            (error as? JSONParseError)?.reason == .tooDeep(limit: 64) && (error as? JSONParseError)?.offset == 64
        }
        let objects = String(repeating: "{\"a\":", count: 10) + "1" + String(repeating: "}", count: 10)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(objects, limits: JSONParseLimits(maxDepth: 9)) }
        _ = try JSONValue.parse(objects, limits: JSONParseLimits(maxDepth: 10))
    }

    @Test func survivesAbsurdNestingWithoutRecursingFurther() {
        let hostile = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(throws: JSONParseError.self) {
            try JSONValue.parse(hostile, limits: JSONParseLimits(maxDepth: 1_000_000, maxBytes: 2_000_000))
        }
    }

    @Test func limitsInputSize() throws {
        let text = "[" + String(repeating: "1,", count: 100) + "1]"
        _ = try JSONValue.parse(text, limits: JSONParseLimits(maxBytes: text.utf8.count))
        #expect { try JSONValue.parse(text, limits: JSONParseLimits(maxBytes: text.utf8.count - 1)) } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            return error.reason == .tooLarge(limit: 202) && error.status == .payloadTooLarge
        }
    }

    @Test func limitsNumberLength() {
        let long = String(repeating: "9", count: 1025)
        #expect { try JSONValue.parse(long) } throws: { error in
            (error as? JSONParseError)?.reason == .numberTooLong(limit: 1024)
        }
    }

    @Test func keepsObjectOrderAndBuildsAccessors() throws {
        let value = try JSONValue.parse(#"{"z":1,"a":"x","m":[true,null,2.5],"o":{"k":"v"}}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m", "o"])
        #expect(value["z"]?.intValue == 1)
        #expect(value["a"]?.stringValue == "x")
        #expect(value["m"]?[0]?.boolValue == true)
        #expect(value["m"]?[1]?.isNull == true)
        #expect(value["m"]?[2]?.doubleValue == 2.5)
        #expect(value["m"]?[3] == nil)
        #expect(value["o"]?["k"] == "v")
        #expect(value["missing"] == nil)
        #expect(value[0] == nil)
        #expect(value["m"]?.arrayValue?.count == 3)
        #expect(value == .object([("z", 1), ("a", .string("x")), ("m", [true, nil, .number(JSONNumber(2.5)!)]), ("o", ["k": "v"])]))
    }

    @Test func parsesLargeObjectsWithManyKeys() throws {
        let members = (0..<5000).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let value = try JSONValue.parse("{" + members + "}")
        #expect(value.objectValue?.count == 5000)
        #expect(value["k4321"]?.intValue == 4321)
        #expect { try JSONValue.parse("{" + members + ",\"k17\":0}") } throws: { error in
            (error as? JSONParseError)?.reason == .duplicateKey("k17")
        }
    }

    @Test func parsesFromBuffersAndSlices() throws {
        let bytes = Array("xx[1,\"two\"]yy".utf8)
        #expect(try JSONValue.parse(bytes[2..<11]) == [1, "two"])
        let value = try bytes[2..<11].withUnsafeBytes { try JSONValue.parse($0) }
        #expect(value == [1, "two"])
    }
}
