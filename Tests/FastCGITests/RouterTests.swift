import ExthostCore
import FastCGI
import Testing

@Suite struct RouterTests {
    func router() -> Router {
        var router = Router()
        router.get("/healthz") { _ in Response.json("\"health\"") }
        router.get("/api/extensions/:id") { _ in Response.json("\"one\"") }
        router.get("/api/extensions/featured") { _ in Response.json("\"featured\"") }
        router.add("ANY", "/never") { _ in Response() }
        router.post("/api/ext/:extensionId/*path") { _ in Response.json("\"exec\"") }
        router.get("/api/ext/:extensionId/*path") { _ in Response.json("\"exec-get\"") }
        router.get("/files") { _ in Response.json("\"files\"") }
        router.get("/files/*rest") { _ in Response.json("\"rest\"") }
        return router
    }

    func body(_ match: Router.Match, _ path: [String] = []) throws -> (String, [String: String]) {
        guard case .found(let handler, let parameters) = match else {
            Issue.record("expected a match, got \(match)")
            return ("", [:])
        }
        let request = try Request(fastCGIParameters: ["REQUEST_URI": "/"], body: MemoryByteSource([]))
        guard case .bytes(let bytes) = try handler(request).body else { return ("", parameters) }
        return (String(decoding: bytes, as: UTF8.self), parameters)
    }

    @Test func respondRecordsTheMatchedRoutePatternForMetrics() throws {
        let request = try Request(fastCGIParameters: ["REQUEST_METHOD": "HEAD", "REQUEST_URI": "/api/extensions/acme.hello?x=1"], body: MemoryByteSource([]))
        _ = try router().respond(to: request)
        #expect(request.route == "/api/extensions/:id")
        let unmatched = try Request(fastCGIParameters: ["REQUEST_URI": "/nowhere"], body: MemoryByteSource([]))
        #expect(throws: RequestError.self) { try router().respond(to: unmatched) }
        #expect(unmatched.route == nil)
    }

    @Test func capturesParameters() throws {
        let (text, parameters) = try body(router().match(method: "GET", segments: ["api", "extensions", "acme.hello"]))
        #expect(text == "\"one\"")
        #expect(parameters == ["id": "acme.hello"])
    }

    @Test func literalsBeatParameters() throws {
        let (text, _) = try body(router().match(method: "GET", segments: ["api", "extensions", "featured"]))
        #expect(text == "\"featured\"")
    }

    @Test func restCapturesTheTail() throws {
        let (text, parameters) = try body(router().match(method: "POST", segments: ["api", "ext", "x", "a", "b c"]))
        #expect(text == "\"exec\"")
        #expect(parameters == ["extensionId": "x", "path": "a/b c"])
        let (_, empty) = try body(router().match(method: "GET", segments: ["api", "ext", "x"]))
        #expect(empty == ["extensionId": "x", "path": ""])
    }

    @Test func exactRouteBeatsEmptyRest() throws {
        #expect(try body(router().match(method: "GET", segments: ["files"])).0 == "\"files\"")
        #expect(try body(router().match(method: "GET", segments: ["files", "a"])).0 == "\"rest\"")
    }

    @Test func headUsesGetRoutes() throws {
        #expect(try body(router().match(method: "HEAD", segments: ["healthz"])).0 == "\"health\"")
    }

    @Test func unknownPathAndWrongMethod() {
        guard case .notFound = router().match(method: "GET", segments: ["nope"]) else {
            Issue.record("expected notFound")
            return
        }
        guard case .methodNotAllowed(let allowed) = router().match(method: "DELETE", segments: ["healthz"]) else {
            Issue.record("expected methodNotAllowed")
            return
        }
        #expect(allowed == ["GET"])
        guard case .notFound = router().match(method: "GET", segments: ["api", "extensions"]) else {
            Issue.record("a :param must not match a missing segment")
            return
        }
    }

    @Test func respondThrowsTypedRoutingErrors() throws {
        let request = try Request(fastCGIParameters: ["REQUEST_METHOD": "PUT", "REQUEST_URI": "/healthz"], body: MemoryByteSource([]))
        #expect(throws: RequestError.methodNotAllowed(method: "PUT", allowed: ["GET"])) { try router().respond(to: request) }
    }
}
