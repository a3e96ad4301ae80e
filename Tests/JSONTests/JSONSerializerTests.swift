import JSON
import Testing

@Suite struct JSONSerializerTests {
    @Test func escapesOnlyWhatJSONRequires() {
        let text = "q\"b\\s/n\nr\rt\tb\u{08}f\u{0C}z\u{00}u\u{1F}d\u{7F}é😀"
        #expect(JSONValue.string(text).serialized() == "\"q\\\"b\\\\s/n\\nr\\rt\\tb\\bf\\fz\\u0000u\\u001fd\u{7F}é😀\"")
    }

    @Test func writesCompactOutputInDocumentOrder() {
        let value: JSONValue = .object([("b", 1), ("a", [true, false, nil]), ("c", ["x": "y"]), ("d", [:]), ("e", [])])
        #expect(value.serialized() == #"{"b":1,"a":[true,false,null],"c":{"x":"y"},"d":{},"e":[]}"#)
    }

    @Test func sortsKeysByTheirBytesForCanonicalOutput() {
        let value: JSONValue = .object([("b", 1), ("a", .object([("é", 1), ("z", 2), ("Z", 3)])), ("", 0)])
        #expect(value.serialized(.canonical) == #"{"":0,"a":{"Z":3,"z":2,"é":1},"b":1}"#)
    }

    @Test func prettyPrintsWithTwoSpaces() {
        let value: JSONValue = .object([("name", "hello"), ("list", [1, [:], []]), ("nested", ["k": "v"])])
        let expected = """
            {
              "name": "hello",
              "list": [
                1,
                {},
                []
              ],
              "nested": {
                "k": "v"
              }
            }
            """
        #expect(value.serialized(.pretty) == expected)
        #expect(JSONValue.array([]).serialized(.pretty) == "[]")
    }

    static let documents: [String] = [
        #"{"a":[1,2.50,-0,1e400,"x\u0000\u001f\"\\é"],"b":{"":null,"c":[[],{}]},"d":true}"#,
        #"["\ud83d\ude00", "\u2028", "tab\there"]"#,
        "123456789012345678901234567890.000000000000001",
    ]

    @Test(arguments: documents)
    func roundTrips(_ text: String) throws {
        let value = try JSONValue.parse(text)
        for options in [JSONWriteOptions.compact, .canonical, .pretty, JSONWriteOptions(sortedKeys: true, pretty: true)] {
            #expect(try JSONValue.parse(value.serialized(options)) == value)
        }
        #expect(try JSONValue.parse(value.serialized()).serialized() == value.serialized())
        text.utf8.withContiguousStorageIfAvailable { JSONValue.fuzzParse(UnsafeRawBufferPointer($0)) }
    }

    @Test func objectEqualityIgnoresOrderButNotValues() {
        #expect(JSONValue.object([("a", 1), ("b", 2)]) == .object([("b", 2), ("a", 1)]))
        #expect(JSONValue.object([("a", 1), ("b", 2)]) != .object([("a", 2), ("b", 1)]))
        #expect(JSONValue.object([("a", 1)]) != .object([("a", 1), ("b", 2)]))
        #expect(JSONValue.array([1, 2]) != [2, 1])
    }

    @Test func objectsKeepKeysUnique() {
        var object: JSONObject = ["a": 1, "b": 2]
        object["a"] = 3
        object["c"] = 4
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object["a"] == 3)
        #expect(JSONObject([("x", 1), ("y", 2), ("x", 3)]).members.map(\.key) == ["x", "y"])
        #expect(JSONObject([("x", 1), ("y", 2), ("x", 3)])["x"] == 3)
        var large = JSONObject((0..<40).map { ("k\($0)", JSONValue.number($0)) })
        large["k5"] = nil
        large["k39"] = "last"
        #expect(large.count == 39)
        #expect(large["k6"] == 6)
        #expect(large["k39"] == "last")
        #expect(large.keys.last == "k39")
    }

    @Test func pathsAreReadable() {
        #expect(JSONPath.root.description == "$")
        #expect(JSONPath.root.appending("api").appending("endpoints").appending(index: 2).appending("path").description == "api.endpoints[2].path")
        #expect(JSONPath.root.appending(index: 0).description == "$[0]")
        #expect(JSONPath.root.appending("content type").description == #"$["content type"]"#)
        #expect(JSONPath.root.appending("headers").appending("x\"y").description == #"headers["x\"y"]"#)
    }
}
