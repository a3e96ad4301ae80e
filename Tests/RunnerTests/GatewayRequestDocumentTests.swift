import Bundle
import JSON
import Registry
import Runner
import Testing

@Suite struct GatewayRequestDocumentTests {
    private let http = GatewayRequestDocument.HTTPPart(
        method: "POST", path: "/notes/a%20b", query: [("tag", "x"), ("tag", "y"), ("q", "1")],
        headers: [("Authorization", "Bearer secret"), ("Cookie", "s=1"), ("Content-Type", "application/json"), ("X-Multi", "1"), ("x-multi", "2")],
        body: Array("{}".utf8))

    @Test func hasTheABIShape() throws {
        let document = GatewayRequestDocument.make(target: helloTarget(), requestID: "req-9", http: http, params: ["id": "a b"])
        #expect(document.objectValue?.keys == ["context", "http", "params"])
        #expect(document["http"] == [
            "method": "POST", "path": "/notes/a%20b", "query": ["tag": ["x", "y"], "q": "1"],
            "headers": ["content-type": "application/json", "x-multi": ["1", "2"]], "body": "e30=",
        ])
        #expect(document["params"] == ["id": "a b"])
        #expect(document["context"] == [
            "requestId": "req-9", "extensionId": "44444444-4444-4444-4444-444444444444", "tenantId": .string(tenantA),
            "installId": "33333333-3333-3333-3333-333333333333", "version": "1.0.0", "contentHash": .string(helloHash),
            "config": ["greeting": "hi"],
        ])
    }

    @Test func contextWithoutContextReadHoldsOnlyTheRequestAndExtension() {
        let document = GatewayRequestDocument.make(target: helloTarget(granted: ["cap:log.emit"]), requestID: "req-9", http: http, params: [:])
        #expect(document["context"] == ["requestId": "req-9", "extensionId": "44444444-4444-4444-4444-444444444444"])
        #expect(document["params"] == [:])
    }
}

@Suite struct GatewayResolvedTargetTests {
    @Test func storedEndpointsBecomeAMatcherAndUnparsableOnesAreSkipped() throws {
        var target = helloTarget()
        target = ExecutionTarget(
            installID: target.installID, tenantID: target.tenantID, extensionID: target.extensionID, extensionName: target.extensionName,
            version: target.version, contentHash: target.contentHash, entry: target.entry,
            endpoints: [
                ["method": "GET", "path": "/items/:id", "handler": "item"],
                ["method": "TRACE", "path": "/x", "handler": "x"],
                ["method": "GET", "path": "no-slash", "handler": "y"],
                ["method": "GET", "path": "/items/new", "handler": "new_item"],
            ],
            config: target.config, grantedCapabilities: target.grantedCapabilities)
        let resolved = ResolvedTarget(target)
        #expect(resolved.matcher.match(method: "GET", path: "/items/new")?.endpoint.handler == "new_item")
        #expect(resolved.matcher.match(method: "GET", path: "/items/7")?.params == ["id": "7"])
        #expect(resolved.matcher.match(method: "GET", path: "/x") == nil)
        #expect(resolved.matcher.match(method: "GET", path: "no-slash") == nil)
    }
}
