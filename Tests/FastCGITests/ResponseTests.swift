import ExthostCore
import FastCGI
import Testing

@Suite struct ResponseTests {
    func text(_ response: Response) -> String {
        guard case .bytes(let bytes) = response.body else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func errorsRenderTheContractShape() {
        let response = Response.error(RequestError.notFound(path: "/x\"y"), requestID: "rid-1")
        #expect(response.status.code == 404)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(text(response) == #"{"error":{"code":"NOT_FOUND","message":"no route for /x\"y","requestId":"rid-1"}}"#)
    }

    @Test func methodNotAllowedCarriesAllow() {
        let response = Response.error(RequestError.methodNotAllowed(method: "PUT", allowed: ["GET", "POST"]), requestID: "r")
        #expect(response.status.code == 405)
        #expect(response.headers["allow"] == "GET, POST")
    }

    @Test func headerValuesWithCRorLFAreRejected() {
        var headers = HTTPHeaders()
        #expect(throws: HeaderError.invalidValue(name: "X-A")) { try headers.add("X-A", "v\r\nSet-Cookie: x") }
        #expect(throws: HeaderError.invalidValue(name: "X-A")) { try headers.add("X-A", "v\nx") }
        #expect(throws: HeaderError.invalidValue(name: "X-A")) { try headers.add("X-A", "v\u{0}") }
        #expect(throws: HeaderError.invalidName(name: "X A")) { try headers.add("X A", "v") }
        #expect(throws: HeaderError.invalidName(name: "")) { try headers.add("", "v") }
        #expect(headers.fields.isEmpty)
    }

    @Test func nginxControlHeadersNeedTheExplicitAPI() throws {
        var headers = HTTPHeaders()
        #expect(throws: HeaderError.reserved(name: "X-Accel-Redirect")) { try headers.add("X-Accel-Redirect", "/etc/passwd") }
        #expect(throws: HeaderError.reserved(name: "status")) { try headers.add("status", "200") }
        var response = Response(headers: headers)
        try response.setAccel(.redirect, "/_exthost_static/x")
        let head = String(decoding: response.cgiHead(requestID: "r"), as: UTF8.self)
        #expect(head.contains("X-Accel-Redirect: /_exthost_static/x\r\n"))
        #expect(throws: HeaderError.invalidValue(name: "X-Accel-Redirect")) { try response.setAccel(.redirect, "/a\r\nb") }
    }

    @Test func headHasStatusLengthAndRequestID() throws {
        var response = Response.json("{}", status: .created)
        try response.headers.add("X-Thing", "1")
        let head = String(decoding: response.cgiHead(requestID: "abc"), as: UTF8.self)
        #expect(head == "Status: 201 Created\r\nContent-Type: application/json\r\nX-Thing: 1\r\nContent-Length: 2\r\nX-Request-Id: abc\r\n\r\n")
    }

    @Test func jsonQuotingEscapesControlCharacters() {
        #expect(JSONString.quote("a\"b\\c\nd\u{1}\u{2028}") == #""a\"b\\c\nd\u0001\u2028""#)
    }
}
