import Bundle
import Testing

@Suite struct EndpointPathTests {
    @Test(arguments: ["/", "/a", "/a/b", "/a-b.c_d~e/:id", "/:_x/:Y9", "/files/*rest", "/*all", "/a/:id/*tail"])
    func acceptsValidPaths(_ text: String) throws {
        #expect(try EndpointPath(text).description == text)
    }

    @Test(arguments: [
        ("", "INVALID_ENDPOINT_PATH"), ("a", "INVALID_ENDPOINT_PATH"), ("//", "INVALID_ENDPOINT_PATH"),
        ("/a/", "INVALID_ENDPOINT_PATH"), ("/a//b", "INVALID_ENDPOINT_PATH"), ("/a b", "INVALID_ENDPOINT_PATH"),
        ("/a%20b", "INVALID_ENDPOINT_PATH"), ("/é", "INVALID_ENDPOINT_PATH"), ("/.", "INVALID_ENDPOINT_PATH"),
        ("/a/..", "INVALID_ENDPOINT_PATH"), ("/:", "INVALID_ENDPOINT_PATH"), ("/:1a", "INVALID_ENDPOINT_PATH"),
        ("/:a-b", "INVALID_ENDPOINT_PATH"), ("/*rest/more", "INVALID_ENDPOINT_PATH"), ("/*", "INVALID_ENDPOINT_PATH"),
        ("/a?b", "INVALID_ENDPOINT_PATH"), ("/:id/:id", "DUPLICATE_PARAMETER"), ("/:id/*id", "DUPLICATE_PARAMETER"),
    ])
    func rejectsInvalidPaths(_ text: String, _ code: String) {
        #expect { try EndpointPath(text) } throws: { error in
            (error as? EndpointPath.Problem)?.code == code
        }
    }

    @Test func rejectsOverlongPaths() {
        #expect(throws: EndpointPath.Problem.self) { try EndpointPath("/" + String(repeating: "a", count: EndpointPath.maxLength)) }
    }

    @Test func shapeErasesCaptureNames() throws {
        #expect(try EndpointPath("/users/:id/files/*rest").shape == "/users/:/files/*")
        #expect(try EndpointPath("/users/:id").shape == EndpointPath("/users/:name").shape)
        #expect(try EndpointPath("/a/:b/*c").parameterNames == ["b", "c"])
    }
}
