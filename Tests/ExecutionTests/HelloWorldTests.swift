import Execution
import ExthostCore
import Foundation
import JSON
import Testing

/// The C-built hello-world example through the engine, as the gateway will run it.
@Suite struct HelloWorldTests {
    static let modulePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/hello/dist/main.wasm").path

    static func request(name: String) -> String {
        """
        {"context":{"requestId":"r1","tenantId":"t1","extensionId":"acme.hello","installId":"i1","version":"1.0.0","contentHash":"abc","config":{}},\
        "http":{"method":"GET","path":"/hello/\(name)","query":"","headers":{},"body":""},"params":{"name":"\(name)"}}
        """
    }

    @Test func greetsByNameAndParsesTheModuleOnce() throws {
        let harness = try GuestHarness()
        let module = (key: "hello", path: Self.modulePath)
        for name in ["Ada", "Grace", "Linus"] {
            let response = try JSONValue.parse(try harness.run(module, handler: "hello", input: Self.request(name: name)))
            #expect(response["status"]?.intValue == 200)
            let text = try #require(response["text"]?.stringValue)
            #expect(try JSONValue.parse(text)["message"]?.stringValue == "Hello, \(name)!")
        }
        let statistics = harness.engine.statistics
        #expect(statistics.modulesLoaded == 1)
        #expect(statistics.warmInstancesCreated == 1)
        #expect(statistics.instancesReused == 2)
        #expect(statistics.freshInstances == 0)
    }

    @Test func validatesAgainstTheABI() throws {
        let wasm = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.modulePath)))
        try WasmEngine.validate(wasm, handlers: ["hello"])
        #expect(throws: ExecutionError.self) { try WasmEngine.validate(wasm, handlers: ["hello", "goodbye"]) }
    }
}
