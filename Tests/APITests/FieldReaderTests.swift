import API
import ExthostCore
import JSON
import Testing

@Suite struct FieldReaderTests {
    func reader(_ text: String) throws -> FieldReader {
        FieldReader(try #require(try JSONValue.parse(Array(text.utf8)).objectValue), path: .root)
    }

    @Test func readsTypedMembersAndRejectsTheUnread() throws {
        var body = try reader(#"{"name": "x", "on": true, "tags": ["a", "b"], "extra": 1}"#)
        #expect(try body.string("name") == "x")
        #expect(try body.bool("on") == true)
        #expect(try body.stringArray("tags") == ["a", "b"])
        #expect(try body.object("absent") == nil)
        #expect(throws: InputError.unknownField(JSONPath.root.appending("extra"))) { try body.finish() }
    }

    @Test func errorsNameTheFullPath() throws {
        var body = try reader(#"{"tags": ["a", 2], "n": null, "s": "", "d": ["x", "x"]}"#)
        let tags = JSONPath.root.appending("tags").appending(index: 1)
        #expect(throws: InputError.wrongType(tags, expected: "a string")) { try body.stringArray("tags") }
        #expect(throws: InputError.wrongType(JSONPath.root.appending("n"), expected: "a string")) { try body.string("n") }
        #expect(throws: InputError.invalidValue(JSONPath.root.appending("s"), reason: "must not be empty")) { try body.string("s") }
        #expect(throws: InputError.self) { try body.stringArray("d") }
        #expect(throws: InputError.missingField(JSONPath.root.appending("id"))) { try body.string("id", required: true) }
        #expect(InputError.wrongType(tags, expected: "a string").field == "tags[1]")
        #expect(InputError.invalidParameter("id", reason: "must be a uuid").status.code == 400)
    }
}
