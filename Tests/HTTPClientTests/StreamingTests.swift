import Foundation
import HTTPClient
import Testing

@Suite struct StreamingTests {
    @Test func getStreams64MiBInBoundedChunks() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient()
        let size: Int64 = 64 << 20
        var pattern = PatternStream()
        var allMatch = true
        var chunkCount = 0
        var largestChunk = 0
        var headsSeen = 0
        var headBeforeBody = true
        let head = try client.execute(
            HTTPRequest(url: server.url("/bytes?n=\(size)")),
            onHead: { head in
                headsSeen += 1
                #expect(head.status == 200)
                #expect(head.firstValue(for: "content-length") == String(size))
            },
            sink: { chunk in
                headBeforeBody = headBeforeBody && headsSeen == 1
                chunkCount += 1
                largestChunk = max(largestChunk, chunk.count)
                allMatch = pattern.matches(chunk) && allMatch
            }
        )
        #expect(head.status == 200)
        #expect(headsSeen == 1)
        #expect(headBeforeBody)
        #expect(pattern.offset == size)
        #expect(allMatch)
        #expect(chunkCount > 64)
        #expect(largestChunk <= client.configuration.receiveBufferSize)
    }

    @Test func putStreams32MiBFromASourceWithKnownLength() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient()
        let size: Int64 = 32 << 20
        var pattern = PatternStream()
        var largestRequest = 0
        let response = try client.send(HTTPRequest(
            method: "PUT",
            url: server.url("/echo"),
            body: .stream(length: size) { buffer in
                largestRequest = max(largestRequest, buffer.count)
                let count = min(buffer.count, 100_000)
                pattern.fill(UnsafeMutableRawBufferPointer(rebasing: buffer[..<count]))
                return count
            }
        ))
        let expected = try client.send(HTTPRequest(url: server.url("/pattern-digest?n=\(size)")))
        let echo = try Echo(response)
        #expect(response.status == 200)
        #expect(echo.method == "PUT")
        #expect(echo.length == Int(size))
        #expect(echo.values(for: "Content-Length") == [String(size)])
        #expect(echo.values(for: "Expect").isEmpty)
        #expect(echo.values(for: "Transfer-Encoding").isEmpty)
        #expect(echo.sha256 == String(bytes: expected.body))
        #expect(pattern.offset == size)
        #expect(largestRequest <= client.configuration.uploadBufferSize)
    }

    @Test func postsABodyHeldInMemoryWithoutAFormContentType() throws {
        let server = try LocalHTTPServer.plain.get()
        let body = Array("hello, world".utf8)
        let response = try HTTPClient().send(HTTPRequest(method: "POST", url: server.url("/echo"), body: .bytes(body)))
        let echo = try Echo(response)
        #expect(echo.method == "POST")
        #expect(echo.length == body.count)
        #expect(echo.sha256 == "09ca7e4eaa6e8ae9c7d261167129184883644d07dfba7cbfbc4c8a2e08360d5b")
        #expect(echo.values(for: "Content-Type").isEmpty)
        #expect(echo.values(for: "Expect").isEmpty)
    }

    @Test func bodilessPutAndPostSendAZeroContentLength() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient()
        for method in ["PUT", "POST"] {
            let echo = try Echo(client.send(HTTPRequest(method: method, url: server.url("/echo"))))
            #expect(echo.method == method)
            #expect(echo.values(for: "Content-Length") == ["0"])
        }
    }

    @Test func customMethodsWithAndWithoutBody() throws {
        let server = try LocalHTTPServer.plain.get()
        let client = HTTPClient()
        let delete = try Echo(client.send(HTTPRequest(method: "DELETE", url: server.url("/echo"))))
        #expect(delete.method == "DELETE")
        #expect(delete.values(for: "Content-Length").isEmpty)
        let patch = try Echo(client.send(HTTPRequest(method: "PATCH", url: server.url("/echo"), body: .bytes([1, 2, 3]))))
        #expect(patch.method == "PATCH")
        #expect(patch.length == 3)
    }

    @Test func headReturnsTheHeadAndNoBody() throws {
        let server = try LocalHTTPServer.plain.get()
        var bodyBytes = 0
        let head = try HTTPClient().execute(HTTPRequest(method: "HEAD", url: server.url("/bytes?n=12345"))) { chunk in
            bodyBytes += chunk.count
        }
        #expect(head.status == 200)
        #expect(head.firstValue(for: "Content-Length") == "12345")
        #expect(bodyBytes == 0)
    }

    @Test func chunkedResponsesArriveWhole() throws {
        let server = try LocalHTTPServer.plain.get()
        let response = try HTTPClient().send(HTTPRequest(url: server.url("/chunked?n=1000000")))
        var pattern = PatternStream()
        #expect(response.status == 200)
        #expect(response.head.firstValue(for: "transfer-encoding") == "chunked")
        #expect(response.body.count == 1_000_000)
        #expect(response.body.withUnsafeBytes { pattern.matches($0) })
    }

    @Test func expectContinueIsHonouredWhenAskedForAndTheInterimHeadIsDropped() throws {
        let server = try LocalHTTPServer.plain.get()
        var heads: [Int] = []
        var body: [UInt8] = []
        let head = try HTTPClient().execute(
            HTTPRequest(method: "PUT", url: server.url("/echo"), headers: [("Expect", "100-continue")], body: .bytes([7, 7, 7])),
            onHead: { heads.append($0.status) },
            sink: { body.append(contentsOf: $0) }
        )
        let echo = try Echo(HTTPResponse(head: head, body: body))
        #expect(heads == [200])
        #expect(head.firstValue(for: "Content-Type") == "application/json")
        #expect(echo.values(for: "Expect") == ["100-continue"])
        #expect(echo.length == 3)
    }
}
