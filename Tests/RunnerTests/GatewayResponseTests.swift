import Execution
import ExthostCore
import FastCGI
import JSON
import Runner
import Testing

@Suite struct GatewayResponseTests {
    private func convert(_ json: String, maxBytes: Int = 4096) throws(ExecutionError) -> Response {
        try ExtensionResponseDocument.response(from: Array(json.utf8), maxBytes: maxBytes)
    }

    private func badResponseReason(_ json: String, maxBytes: Int = 4096) -> String? {
        do {
            _ = try convert(json, maxBytes: maxBytes)
            return nil
        } catch {
            guard case .badResponse(let reason) = error else { return "unexpected \(error.code)" }
            #expect(error.code == "EXTENSION_BAD_RESPONSE" && error.status.code == 502)
            return reason
        }
    }

    @Test func dropsEveryHeaderThatCouldBendTheHost() throws {
        let response = try convert("""
            {"status":201,"headers":{
              "X-Accel-Redirect":"/_exthost_static/secret","x-accel-buffering":"no","Status":"200","Set-Cookie":"a=b",
              "Connection":"close","Transfer-Encoding":"chunked","Keep-Alive":"x","Upgrade":"h2c","Content-Length":"99",
              "X-Request-Id":"forged","Bad Name":"x","X-Split":"a\\r\\nX-Injected: 1","X-Nul":"a\\u0000b",
              "X-Custom":"kept","Cache-Control":"max-age=60","Link":["</a>; rel=preload","</b>; rel=preload"]},
             "body":"aGk="}
            """)
        #expect(response.status.code == 201)
        let names = response.headers.fields.map(\.name)
        #expect(names == ["X-Custom", "Cache-Control", "Link", "Link"])
        #expect(response.accelHeaders.isEmpty)
        guard case .bytes(let bytes) = response.body else { Issue.record("no body"); return }
        #expect(bytes == Array("hi".utf8))
        let head = String(decoding: response.cgiHead(requestID: "r"), as: UTF8.self)
        #expect(!head.lowercased().contains("x-accel") && !head.contains("X-Injected") && !head.lowercased().contains("set-cookie"))
    }

    @Test func textGetsAPlainTextTypeUnlessTheExtensionSetOne() throws {
        let plain = try convert(#"{"status":200,"text":"héllo"}"#)
        #expect(plain.headers["content-type"] == "text/plain; charset=utf-8")
        guard case .bytes(let bytes) = plain.body else { Issue.record("no body"); return }
        #expect(String(decoding: bytes, as: UTF8.self) == "héllo")
        let typed = try convert(#"{"status":200,"headers":{"content-type":"text/html"},"text":"<p>"}"#)
        #expect(typed.headers.fields.map(\.value) == ["text/html"])
        let empty = try convert(#"{"status":204}"#)
        guard case .empty = empty.body else { Issue.record("expected an empty body"); return }
    }

    @Test(arguments: [
        #"{"status":99}"#, #"{"status":600}"#, #"{"status":"200"}"#, #"{"status":200.5}"#, #"{}"#, "[]", "not json", "",
        #"{"status":200,"body":"aGk=","text":"hi"}"#, #"{"status":200,"body":"***"}"#, #"{"status":200,"text":5}"#,
        #"{"status":200,"headers":[]}"#, #"{"status":200,"headers":{"X-A":5}}"#,
    ])
    func malformedResponsesAreBadResponse(json: String) {
        #expect(badResponseReason(json) != nil)
    }

    @Test func responseOverTheCapIsBadResponse() {
        let json = #"{"status":200,"text":""# + String(repeating: "a", count: 100) + #""}"#
        #expect(badResponseReason(json, maxBytes: 64)?.contains("larger") == true)
        #expect(badResponseReason(json, maxBytes: 4096) == nil)
    }

    @Test func headerRuleOnItsOwn() {
        #expect(ExtensionResponseHeaders.isAllowed(name: "X-Custom", value: "1"))
        #expect(!ExtensionResponseHeaders.isAllowed(name: "X-ACCEL-LIMIT-RATE", value: "1"))
        #expect(!ExtensionResponseHeaders.isAllowed(name: "set-cookie", value: "a=b"))
        #expect(!ExtensionResponseHeaders.isAllowed(name: "X-A", value: "a\nb"))
        #expect(!ExtensionResponseHeaders.isAllowed(name: "X(A)", value: "a"))
        #expect(!ExtensionResponseHeaders.isAllowed(name: "", value: "a"))
    }
}
