import ExthostCore
import FastCGI
import Testing

@Suite struct RequestParsingTests {
    func request(_ params: [String: String], body: [UInt8] = []) throws -> Request {
        try Request(fastCGIParameters: params, body: MemoryByteSource(body))
    }

    @Test func decodesQueryWithPlusPercentAndRepeats() throws {
        let query = try #require(QueryParameters(parsing: "a=1&b=two+words&c=%2F%20x&a=2&flag&=empty"))
        #expect(query["a"] == "1")
        #expect(query.values("a") == ["1", "2"])
        #expect(query["b"] == "two words")
        #expect(query["c"] == "/ x")
        #expect(query["flag"] == "")
        #expect(query[""] == "empty")
    }

    @Test func rejectsMalformedQueryEscapes() {
        #expect(QueryParameters(parsing: "a=%zz") == nil)
        #expect(QueryParameters(parsing: "a=%4") == nil)
        #expect(QueryParameters(parsing: "a=%ff%fe") == nil)  // not UTF-8
    }

    @Test func malformedQueryIsA400() {
        #expect(throws: RequestError.invalidQuery) {
            try request(["REQUEST_URI": "/x?a=%zz", "QUERY_STRING": "a=%zz"])
        }
    }

    @Test func pathSegmentsAreDecodedOneByOne() throws {
        let parsed = try request(["REQUEST_METHOD": "get", "REQUEST_URI": "/api/ext/a%2Fb/hello%20world?x=1"])
        #expect(parsed.method == "GET")
        #expect(parsed.path == "/api/ext/a%2Fb/hello%20world")
        #expect(parsed.pathSegments == ["api", "ext", "a/b", "hello world"])
        #expect(parsed.query["x"] == "1")
    }

    @Test func headersComeFromHTTPParams() throws {
        let parsed = try request([
            "REQUEST_URI": "/", "HTTP_X_CUSTOM_THING": "v", "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": "3", "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "ignored",
        ], body: Array("abc".utf8))
        #expect(parsed.headers["x-custom-thing"] == "v")
        #expect(parsed.headers["Content-Type"] == "application/json")
        #expect(parsed.headers["server-name"] == nil)
        #expect(parsed.contentLength == 3)
        #expect(parsed.remoteAddress == "127.0.0.1")
    }

    @Test func requestIDIsEchoedWhenWellFormedElseGenerated() throws {
        #expect(try request(["HTTP_X_REQUEST_ID": "abc-123_x.y"]).requestID == "abc-123_x.y")
        let generated = try request(["HTTP_X_REQUEST_ID": "bad id\r\nX-Evil: 1"]).requestID
        #expect(generated.count == 32)
        #expect(generated.allSatisfy { $0.isHexDigit })
        #expect(try request([:]).requestID != request([:]).requestID)
        #expect(!RequestID.isWellFormed(String(repeating: "a", count: 129)))
        #expect(!RequestID.isWellFormed(""))
    }
}

@Suite struct RequestBodyTests {
    @Test func readsInChunksUpToContentLength() throws {
        let bytes = (0..<1000).map { UInt8($0 % 251) }
        let body = RequestBody(source: MemoryByteSource(bytes, chunkLimit: 7), expectedLength: 1000)
        var collected: [UInt8] = []
        try body.forEachChunk(chunkSize: 64) { chunk in
            #expect(chunk.count <= 64)
            collected += chunk
        }
        #expect(collected == bytes)
        #expect(body.bytesRead == 1000)
    }

    @Test func shortBodyIsIncomplete() {
        let body = RequestBody(source: MemoryByteSource([1, 2, 3]), expectedLength: 10)
        #expect(throws: RequestError.bodyIncomplete(expected: 10, received: 3)) {
            try body.forEachChunk { _ in }
        }
    }

    @Test func collectEnforcesTheLimit() throws {
        let declared = RequestBody(source: MemoryByteSource(Array(repeating: 1, count: 20)), expectedLength: 20)
        #expect(throws: RequestError.bodyTooLarge(limit: 10)) { try declared.collect(limit: 10) }
        let undeclared = RequestBody(source: MemoryByteSource(Array(repeating: 1, count: 20)), expectedLength: nil)
        #expect(throws: RequestError.bodyTooLarge(limit: 10)) { try undeclared.collect(limit: 10) }
        let fits = RequestBody(source: MemoryByteSource([1, 2]), expectedLength: 2)
        #expect(try fits.collect(limit: 10) == [1, 2])
    }

    @Test func extraBytesBeyondContentLengthAreNotRead() throws {
        let body = RequestBody(source: MemoryByteSource([1, 2, 3, 4]), expectedLength: 2)
        #expect(try body.collect(limit: 10) == [1, 2])
    }
}
