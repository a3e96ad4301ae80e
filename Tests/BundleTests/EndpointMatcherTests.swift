import Bundle
import Testing

@Suite struct EndpointMatcherTests {
    func endpoint(_ method: Endpoint.Method, _ path: String, _ handler: String) throws -> Endpoint {
        Endpoint(method: method, path: try EndpointPath(path), handler: handler)
    }

    func matcher() throws -> EndpointMatcher {
        EndpointMatcher([
            try endpoint(.get, "/hello/:name", "helloName"),
            try endpoint(.get, "/hello/world", "helloWorld"),
            try endpoint(.post, "/hello/:name", "postHello"),
            try endpoint(.get, "/", "root"),
            try endpoint(.get, "/files/*path", "files"),
            try endpoint(.get, "/files", "fileIndex"),
            try endpoint(.get, "/files/special/:id", "special"),
            try endpoint(.get, "/:a/b/c", "paramFirst"),
            try endpoint(.get, "/x/:b/:c", "literalFirst"),
            try endpoint(.delete, "/users/:user/keys/:key", "deleteKey"),
        ])
    }

    func handler(_ method: String, _ path: String) throws -> String? {
        try matcher().match(method: method, path: path)?.endpoint.handler
    }

    @Test func capturesParameters() throws {
        let match = try #require(try matcher().match(method: "GET", path: "/hello/ada"))
        #expect(match.endpoint.handler == "helloName")
        #expect(match.params == ["name": "ada"])
        let delete = try #require(try matcher().match(method: "DELETE", path: "/users/u1/keys/k%2F2"))
        #expect(delete.params == ["user": "u1", "key": "k/2"])
    }

    @Test func literalSegmentsBeatParameters() throws {
        #expect(try handler("GET", "/hello/world") == "helloWorld")
        #expect(try handler("GET", "/hello/worlds") == "helloName")
        #expect(try handler("GET", "/x/b/c") == "literalFirst")
        #expect(try handler("GET", "/y/b/c") == "paramFirst")
        #expect(try handler("GET", "/files/special/7") == "special")
    }

    @Test func restCapturesTheRemainder() throws {
        let match = try #require(try matcher().match(method: "GET", path: "/files/a/b%20c/d.txt"))
        #expect(match.endpoint.handler == "files")
        #expect(match.params == ["path": "a/b c/d.txt"])
        #expect(try handler("GET", "/files") == "fileIndex")
        #expect(try matcher().match(method: "GET", path: "/files/")?.params == ["path": ""])
        #expect(try matcher().match(method: "GET", path: "/files/special")?.params == ["path": "special"])
        #expect(try matcher().match(method: "GET", path: "/files/special/7/8")?.params == ["path": "special/7/8"])
    }

    @Test func matchesTheRoot() throws {
        #expect(try handler("GET", "/") == "root")
        #expect(try handler("GET", "") == "root")
    }

    @Test func decodesEachSegment() throws {
        #expect(try matcher().match(method: "GET", path: "/hello/J%C3%BCrgen%20M")?.params == ["name": "Jürgen M"])
        #expect(try handler("GET", "/hello/w%6Frld") == "helloWorld")
        #expect(try handler("GET", "/hello/%zz") == nil)
        #expect(try handler("GET", "/hello/%C3") == nil)
        #expect(try handler("GET", "/hello/%4") == nil)
    }

    @Test func requiresTheMethodAndTheWholePath() throws {
        #expect(try handler("POST", "/hello/ada") == "postHello")
        #expect(try handler("PUT", "/hello/ada") == nil)
        #expect(try handler("get", "/hello/ada") == nil)
        #expect(try handler("HEAD", "/hello/ada") == nil)
        #expect(try handler("GET", "/hello") == nil)
        #expect(try handler("GET", "/hello/") == nil)
        #expect(try handler("GET", "/hello//") == nil)
        #expect(try handler("GET", "/hello/ada/more") == nil)
        #expect(try handler("GET", "/nope") == nil)
    }

    @Test func listsAllowedMethods() throws {
        #expect(try matcher().allowedMethods(path: "/hello/ada") == ["GET", "POST"])
        #expect(try matcher().allowedMethods(path: "/users/a/keys/b") == ["DELETE"])
        #expect(try matcher().allowedMethods(path: "/nothing/here/at/all") == [])
    }

    @Test func matchesDecodedSegments() throws {
        #expect(try matcher().match(method: "GET", segments: ["hello", "a/b"])?.params == ["name": "a/b"])
        #expect(try matcher().match(method: "GET", segments: [])?.endpoint.handler == "root")
    }

    @Test func firstDeclaredWinsAmongEquals() throws {
        let matcher = EndpointMatcher([try endpoint(.get, "/:a", "first"), try endpoint(.get, "/:b", "second")])
        #expect(matcher.match(method: "GET", path: "/x")?.endpoint.handler == "first")
    }

    @Test func buildsFromAManifest() throws {
        let manifest = try ManifestValidator.validate(Array(#"""
            {"name":"x","publisher":"p","version":"1.0.0","runtime":"exthost-wasm@1",
             "api":{"endpoints":[{"method":"GET","path":"/hello/:name","handler":"hello"}]}}
            """#.utf8))
        let match = try #require(EndpointMatcher(manifest: manifest).match(method: "GET", path: "/hello/ada"))
        #expect(match.endpoint == manifest.endpoints[0])
        #expect(match.params == ["name": "ada"])
    }
}
