import ExthostCore
import FastCGI
import Testing

/// Regressions found by `fuzz-fastcgi`: a `?`, `&`, `=`, `/` or `_` followed by a combining mark
/// (U+0301 here) is one Swift Character that is not the ASCII one, so Character-based splitting
/// missed the separator; and `lowercased()` turned the Kelvin sign (U+212A) into an ASCII `k`.
@Suite struct CombiningMarkParsingTests {
    private func request(_ params: [String: String]) throws -> Request {
        try Request(fastCGIParameters: params, body: MemoryByteSource([]))
    }

    @Test func querySplitsAtEveryAmpersandAndEqualsByte() throws {
        let query = try #require(QueryParameters(parsing: "a=\u{301}b&\u{301}c=d&e\u{301}=f"))
        #expect(query.items.map(\.name).map { Array($0.utf8) } == ["a", "\u{301}c", "e\u{301}"].map { Array($0.utf8) })
        #expect(query.items.map(\.value).map { Array($0.utf8) } == ["\u{301}b", "d", "f"].map { Array($0.utf8) })
    }

    @Test func pathEndsAtTheFirstQuestionMarkByte() throws {
        let parsed = try request(["REQUEST_URI": "/x?\u{301}=1"])
        #expect(parsed.path == "/x")
        #expect(parsed.pathSegments == ["x"])
        #expect(parsed.query.items.count == 1)
        #expect(Array(parsed.query.items[0].name.utf8) == Array("\u{301}".utf8))
        #expect(parsed.query.items[0].value == "1")
    }

    @Test func segmentsSplitAtEverySlashByte() throws {
        let parsed = try request(["REQUEST_URI": "/a/\u{301}b/c"])
        #expect(parsed.pathSegments.map { Array($0.utf8) } == ["a", "\u{301}b", "c"].map { Array($0.utf8) })
    }

    @Test func nonASCIIHeaderNamesAreDroppedNotFolded() throws {
        let parsed = try request(["REQUEST_URI": "/", "HTTP_\u{212A}EY": "v", "HTTP_X_OK": "1"])
        #expect(parsed.headers["key"] == nil)
        #expect(parsed.headers.fields.map(\.name) == ["x-ok"])
    }
}
