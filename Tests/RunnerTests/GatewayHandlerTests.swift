import ContentCache
import Execution
import ExthostCore
import FastCGI
import Foundation
import JSON
import Metrics
import Logging
import Registry
import Runner
import Synchronization
import Testing

// MARK: - Fakes

/// Bearer keys as a fixed token → tenant table; a missing or unknown token is a 401.
struct FixedKeys: TenantAuthenticating {
    var tenants: [String: String]

    func verifiedKey(for request: Request) throws -> (tenantID: String, expiry: APIKeyExpiry?) {
        guard let header = request.headers["authorization"], header.hasPrefix("Bearer "),
              let tenant = tenants[String(header.dropFirst(7))]
        else { throw TestFailure(status: .unauthorized, code: "UNAUTHENTICATED") }
        return (tenant, nil)
    }
}

/// The registry as a list of enabled targets, counting lookups.
final class FixedTargets: ExecutionTargetLookup {
    let targets: [ExecutionTarget]
    let lookups = Mutex(0)

    init(_ targets: [ExecutionTarget]) { self.targets = targets }

    func enabledTarget(tenantID: String, extension reference: ExtensionReference) throws -> ExecutionTarget? {
        lookups.withLock { $0 += 1 }
        return targets.first { target in
            target.tenantID == tenantID && (reference.description == target.extensionID || reference.description == target.extensionName)
        }
    }
}

/// The engine: records each call and answers with a scripted result.
final class FakeEngine: HandlerExecuting {
    struct Call: Sendable {
        var moduleKey: String
        var modulePath: String
        var handler: String
        var input: JSONValue
        var timeout: Duration
    }

    let answer: @Sendable (JSONValue, any HostInterface) throws(ExecutionError) -> [UInt8]
    let calls = Mutex<[Call]>([])

    init(answer: @escaping @Sendable (JSONValue, any HostInterface) throws(ExecutionError) -> [UInt8]) { self.answer = answer }

    convenience init(json: String) { self.init { _, _ in Array(json.utf8) } }

    /// Every call reports this much fuel, so the execution log's fuel column can be checked.
    static let fuelPerCall: UInt64 = 4242

    func execute(
        moduleKey: String, modulePath: String, handler: String, input: [UInt8], limits: ExecutionLimits, host: any HostInterface,
        meter: inout ExecutionMeter
    ) throws(ExecutionError) -> [UInt8] {
        meter.fuelUsed = Self.fuelPerCall
        let document = (try? JSONValue.parse(input)) ?? .null
        calls.withLock { $0.append(Call(moduleKey: moduleKey, modulePath: modulePath, handler: handler, input: document, timeout: limits.timeout)) }
        return try answer(document, host)
    }

    var lastCall: Call? { calls.withLock { $0.last } }
}

final class RecordingLog: ExecutionLogSink {
    let entries = Mutex<[ExecutionLogEntry]>([])
    func record(_ entry: ExecutionLogEntry) { entries.withLock { $0.append(entry) } }
    var all: [ExecutionLogEntry] { entries.withLock { $0 } }
}

struct NoSecrets: SecretsSource {
    var secrets: [String: String] = [:]
    func reveal(tenantID: String, installID: String) throws -> [String: String] { secrets }
}

let tenantA = "11111111-1111-1111-1111-111111111111"
let tenantB = "22222222-2222-2222-2222-222222222222"
let helloHash = "sha256:" + String(repeating: "ab", count: 32)

func helloTarget(tenant: String = tenantA, granted: [String] = ["cap:context.read", "cap:log.emit"], config: JSONObject = ["greeting": "hi"]) -> ExecutionTarget {
    ExecutionTarget(
        installID: "33333333-3333-3333-3333-333333333333", tenantID: tenant, extensionID: "44444444-4444-4444-4444-444444444444",
        extensionName: "exthost.examples.hello", version: "1.0.0", contentHash: helloHash, entry: "dist/main.wasm",
        endpoints: [
            ["method": "GET", "path": "/hello/:name", "handler": "hello"],
            ["method": "POST", "path": "/notes", "handler": "create_note"],
            ["method": "GET", "path": "/files/*rest", "handler": "serve_file"],
        ],
        config: config, grantedCapabilities: granted)
}

/// A gateway over fakes, with the module already present in a temporary cache tree.
struct GatewayFixture {
    let root: TemporaryCacheRoot
    let engine: FakeEngine
    let targets: FixedTargets
    let log = RecordingLog()
    let metrics = MetricsRegistry()
    let filler: RecordingFiller
    let handler: GatewayHandler

    init(engine: FakeEngine, targets: [ExecutionTarget] = [helloTarget()], modulePresent: Bool = true, fillFailure: TestFailure? = nil, maxRequestBytes: Int = 1024) throws {
        root = try TemporaryCacheRoot()
        self.engine = engine
        self.targets = FixedTargets(targets)
        let tree = root.path + "/sha256/" + String(helloHash.dropFirst(7))
        let writeModule: @Sendable (String) throws -> Void = { tree in
            try FileManager.default.createDirectory(atPath: tree + "/dist", withIntermediateDirectories: true)
            try Data([0, 0x61, 0x73, 0x6d]).write(to: URL(fileURLWithPath: tree + "/dist/main.wasm"))
        }
        if modulePresent { try writeModule(tree) }
        filler = RecordingFiller(root: root.path, failure: fillFailure, makeTree: writeModule)
        handler = GatewayHandler(
            authenticator: FixedKeys(tenants: ["key-a": tenantA, "key-b": tenantB]),
            targets: TargetCache(source: self.targets, timeToLive: .zero),
            modules: ModuleLocator(layout: .init(root: root.path), filler: filler),
            executor: engine,
            limits: ExecutionLimits(fuel: nil, memoryBytes: 64 << 20, timeout: .seconds(5), maxRequestBytes: maxRequestBytes, maxResponseBytes: 4096),
            hostServices: HostServices(secrets: NoSecrets(), logger: silentLogger),
            executionLog: log, metrics: GatewayMetrics(registry: metrics), logger: silentLogger)
    }

    var router: Router {
        var router = Router()
        router.addGatewayRoute(handler)
        return router
    }

    /// Sends a request through the router, as exthost-runner does.
    func send(_ uri: String, method: String = "GET", key: String? = "key-a", body: [UInt8] = [], headers: [String: String] = [:]) throws -> Response {
        var params = ["REQUEST_METHOD": method, "REQUEST_URI": uri, "CONTENT_LENGTH": String(body.count)]
        if let key { params["HTTP_AUTHORIZATION"] = "Bearer " + key }
        for (name, value) in headers { params["HTTP_" + name.uppercased().replacingOccurrences(of: "-", with: "_")] = value }
        let request = try Request(fastCGIParameters: params, requestID: "req-1", body: MemoryByteSource(body))
        return try router.respond(to: request)
    }
}

func bodyJSON(_ response: Response) throws -> JSONValue {
    guard case .bytes(let bytes) = response.body else { return .null }
    return try JSONValue.parse(bytes)
}

func errorCode(_ response: Response) throws -> String? {
    try bodyJSON(response)["error"]?["code"]?.stringValue
}

let helloAnswer = #"{"status":200,"headers":{"Content-Type":"application/json"},"text":"{\"message\":\"Hello, ada!\"}"}"#

// MARK: - Tests

@Suite struct GatewayHandlerTests {
    @Test func runsTheMatchedHandlerWithParamsAndReturnsTheExtensionsResponse() throws {
        let fixture = try GatewayFixture(engine: FakeEngine(json: helloAnswer))
        let response = try fixture.send("/api/ext/exthost.examples.hello/hello/ada?x=1")
        #expect(response.status.code == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(try bodyJSON(response) == ["message": "Hello, ada!"])
        let call = try #require(fixture.engine.lastCall)
        #expect(call.handler == "hello")
        #expect(call.moduleKey == helloHash + "/dist/main.wasm")
        #expect(call.modulePath == fixture.root.path + "/sha256/" + String(helloHash.dropFirst(7)) + "/dist/main.wasm")
        #expect(call.input["params"] == ["name": "ada"])
        #expect(call.input["http"]?["path"] == "/hello/ada")
        #expect(call.input["http"]?["query"] == ["x": "1"])
        #expect(call.input["context"]?["requestId"] == "req-1")
        #expect(call.timeout <= .seconds(5) && call.timeout > .zero)
        #expect(fixture.filler.callCount == 0)
        let entry = try #require(fixture.log.all.first)
        #expect(entry.status == 200 && entry.errorCode == nil && entry.tenantID == tenantA && entry.path == "/hello/ada" && entry.method == "GET")
        #expect(entry.fuelUsed == FakeEngine.fuelPerCall)
        #expect(fixture.metrics.render().contains("exthost_executions_total{outcome=\"ok\"} 1\n"))
        #expect(fixture.metrics.render().contains("exthost_execution_fuel_count 1\n"))
    }

    @Test func headRunsTheGetEndpointAndTellsTheGuestItIsHead() throws {
        let fixture = try GatewayFixture(engine: FakeEngine(json: helloAnswer))
        let response = try fixture.send("/api/ext/exthost.examples.hello/hello/ada", method: "HEAD")
        #expect(response.status.code == 200)
        let call = try #require(fixture.engine.lastCall)
        #expect(call.handler == "hello" && call.input["http"]?["method"] == "HEAD")
    }

    @Test func optionsListsThePathsMethodsWithoutRunningAnything() throws {
        let fixture = try GatewayFixture(engine: FakeEngine(json: helloAnswer))
        let response = try fixture.send("/api/ext/exthost.examples.hello/hello/ada", method: "OPTIONS")
        #expect(response.status.code == 204)
        #expect(response.headers["allow"] == "GET, HEAD, OPTIONS")
        #expect(fixture.engine.lastCall == nil)
        #expect(fixture.log.all.first?.fuelUsed == nil && fixture.log.all.first?.status == 204)
        let elsewhere = try fixture.send("/api/ext/exthost.examples.hello/nothing", method: "OPTIONS")
        #expect(try errorCode(elsewhere) == "ENDPOINT_NOT_FOUND")
        let notes = try fixture.send("/api/ext/exthost.examples.hello/notes", method: "OPTIONS")
        #expect(notes.headers["allow"] == "POST, OPTIONS")
    }

    @Test func aFailureIsCountedUnderItsCodeWithoutFuelWhenNothingRan() throws {
        let fixture = try GatewayFixture(engine: FakeEngine(json: helloAnswer))
        _ = try fixture.send("/api/ext/exthost.examples.hello/nope")
        #expect(fixture.metrics.render().contains("exthost_executions_total{outcome=\"ENDPOINT_NOT_FOUND\"} 1\n"))
        #expect(fixture.log.all.first?.fuelUsed == nil)
    }

    @Test func resolvesTheExtensionByRegistryIDToo() throws {
        let fixture = try GatewayFixture(engine: FakeEngine(json: helloAnswer))
        let response = try fixture.send("/api/ext/44444444-4444-4444-4444-444444444444/hello/bob")
        #expect(response.status.code == 200)
    }

    @Test func restCaptureAndPercentDecodedParams() throws {
        let fixture = try GatewayFixture(engine: FakeEngine(json: #"{"status":204}"#))
        let response = try fixture.send("/api/ext/exthost.examples.hello/files/a/b%20c")
        #expect(response.status.code == 204)
        #expect(fixture.engine.lastCall?.input["params"] == ["rest": "a/b c"])
        #expect(fixture.engine.lastCall?.handler == "serve_file")
    }

    @Test func unknownEndpointIs404EndpointNotFoundAndIsLogged() throws {
        let fixture = try GatewayFixture(engine: FakeEngine(json: helloAnswer))
        for (method, uri) in [("GET", "/api/ext/exthost.examples.hello/nope"), ("DELETE", "/api/ext/exthost.examples.hello/hello/ada"),
                              ("GET", "/api/ext/exthost.examples.hello"), ("GET", "/api/ext/exthost.examples.hello/hello/ada/more")] {
            let response = try fixture.send(uri, method: method)
            #expect(response.status.code == 404, "\(method) \(uri)")
            #expect(try errorCode(response) == "ENDPOINT_NOT_FOUND")
            #expect(response.headers["cache-control"] == "no-store")
        }
        #expect(fixture.engine.calls.withLock { $0.isEmpty })
        #expect(fixture.log.all.map(\.errorCode) == Array(repeating: "ENDPOINT_NOT_FOUND", count: 4))
    }

    @Test func anotherTenantsInstallAndUnknownExtensionsAreTheSame404() throws {
        let fixture = try GatewayFixture(engine: FakeEngine(json: helloAnswer))
        for (key, uri) in [("key-b", "/api/ext/exthost.examples.hello/hello/ada"), ("key-a", "/api/ext/acme.other/hello/ada"),
                           ("key-a", "/api/ext/nodot/hello/ada")] {
            let response = try fixture.send(uri, key: key)
            #expect(response.status.code == 404)
            #expect(try errorCode(response) == "EXTENSION_NOT_AVAILABLE")
            #expect(try bodyJSON(response)["error"]?["requestId"] == "req-1")
        }
        #expect(fixture.engine.calls.withLock { $0.isEmpty })
        #expect(fixture.log.all.isEmpty)
    }

    @Test func missingKeyIsRejectedBeforeAnyLookup() throws {
        let fixture = try GatewayFixture(engine: FakeEngine(json: helloAnswer))
        let response = try fixture.send("/api/ext/exthost.examples.hello/hello/ada", key: nil)
        #expect(response.status.code == 401)
        #expect(fixture.targets.lookups.withLock { $0 } == 0)
    }

    @Test(arguments: [
        (ExecutionError.trap("unreachable at 0x1f"), 502, "EXTENSION_FAILED"),
        (ExecutionError.timeout, 504, "EXTENSION_TIMEOUT"),
        (ExecutionError.outOfMemory, 502, "EXTENSION_OUT_OF_MEMORY"),
        (ExecutionError.badResponse("len out of bounds"), 502, "EXTENSION_BAD_RESPONSE"),
        (ExecutionError.requestTooLarge, 413, "REQUEST_TOO_LARGE"),
    ])
    func engineErrorsKeepTheirStatusAndCodeWithTheRequestID(error: ExecutionError, status: Int, code: String) throws {
        let fixture = try GatewayFixture(engine: FakeEngine { _, _ throws(ExecutionError) in throw error })
        let response = try fixture.send("/api/ext/exthost.examples.hello/hello/ada")
        #expect(response.status.code == status)
        let document = try bodyJSON(response)
        #expect(document["error"]?["code"]?.stringValue == code)
        #expect(document["error"]?["requestId"] == "req-1")
        #expect(fixture.log.all.first?.errorCode == code && fixture.log.all.first?.status == status)
    }

    @Test func requestBodyOverTheLimitIs413WithoutRunningTheHandler() throws {
        let fixture = try GatewayFixture(engine: FakeEngine(json: helloAnswer), maxRequestBytes: 16)
        let response = try fixture.send("/api/ext/exthost.examples.hello/notes", method: "POST", body: Array(repeating: 0x41, count: 17))
        #expect(response.status.code == 413)
        #expect(fixture.engine.calls.withLock { $0.isEmpty })
        let small = try fixture.send("/api/ext/exthost.examples.hello/notes", method: "POST", body: Array("0123456789abcdef".utf8))
        #expect(small.status.code == 200)
        #expect(fixture.engine.lastCall?.input["http"]?["body"] == "MDEyMzQ1Njc4OWFiY2RlZg==")
    }

    @Test func missingModuleIsFilledThenRun() throws {
        let fixture = try GatewayFixture(engine: FakeEngine(json: helloAnswer), modulePresent: false)
        let response = try fixture.send("/api/ext/exthost.examples.hello/hello/ada")
        #expect(response.status.code == 200)
        #expect(fixture.filler.callCount == 1)
        #expect(fixture.filler.timeouts.allSatisfy { $0 <= .seconds(5) })
    }

    @Test func fillRefusedAsNotEnabledIsExtensionNotAvailable() throws {
        let fixture = try GatewayFixture(
            engine: FakeEngine(json: helloAnswer), modulePresent: false, fillFailure: TestFailure(status: .notFound, code: "NOT_ENABLED"))
        let response = try fixture.send("/api/ext/exthost.examples.hello/hello/ada")
        #expect(response.status.code == 404)
        #expect(try errorCode(response) == "EXTENSION_NOT_AVAILABLE")
    }

    @Test func fillTimeoutKeepsItsOwnError() throws {
        let fixture = try GatewayFixture(
            engine: FakeEngine(json: helloAnswer), modulePresent: false, fillFailure: TestFailure(status: .gatewayTimeout, code: "CACHEFILL_TIMEOUT"))
        let response = try fixture.send("/api/ext/exthost.examples.hello/hello/ada")
        #expect(response.status.code == 504)
        #expect(try errorCode(response) == "CACHEFILL_TIMEOUT")
    }

    @Test func theGuestNeverSeesTheCallersCredentials() throws {
        let fixture = try GatewayFixture(engine: FakeEngine(json: helloAnswer))
        _ = try fixture.send("/api/ext/exthost.examples.hello/hello/ada", headers: ["Cookie": "session=1", "X-Trace": "t"])
        let headers = try #require(fixture.engine.lastCall?.input["http"]?["headers"]?.objectValue)
        #expect(headers["authorization"] == nil && headers["cookie"] == nil)
        #expect(headers["x-trace"] == "t")
    }

    @Test func targetCacheServesRepeatsWithinItsTimeToLive() throws {
        let source = FixedTargets([helloTarget()])
        let cache = TargetCache(source: source, timeToLive: .seconds(60))
        let reference = try #require(ExtensionReference("exthost.examples.hello"))
        for _ in 0..<3 { #expect(try cache.resolved(tenantID: tenantA, extension: reference) != nil) }
        #expect(try cache.resolved(tenantID: tenantB, extension: reference) == nil)
        #expect(try cache.resolved(tenantID: tenantB, extension: reference) == nil)
        #expect(source.lookups.withLock { $0 } == 2)
        let uncached = TargetCache(source: source, timeToLive: .zero)
        _ = try uncached.resolved(tenantID: tenantA, extension: reference)
        _ = try uncached.resolved(tenantID: tenantA, extension: reference)
        #expect(source.lookups.withLock { $0 } == 4)
    }

    @Test func extensionPathIsWhatFollowsTheExtensionID() {
        #expect(GatewayHandler.extensionPath(of: "/api/ext/a.b/hello/x%2Fy") == "/hello/x%2Fy")
        #expect(GatewayHandler.extensionPath(of: "/api/ext/a.b") == "/")
        #expect(GatewayHandler.extensionPath(of: "/api/ext/a.b/") == "/")
    }
}

/// Keeps the expected "execute failed" warnings out of the test output.
let silentLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

@Suite struct GatewayTargetCacheInvalidationTests {
    @Test func invalidatingATenantDropsOnlyItsEntries() throws {
        let source = FixedTargets([helloTarget(), helloTarget(tenant: tenantB)])
        let cache = TargetCache(source: source, timeToLive: .seconds(60))
        let reference = try #require(ExtensionReference("exthost.examples.hello"))
        _ = try cache.resolved(tenantID: tenantA, extension: reference)
        _ = try cache.resolved(tenantID: tenantB, extension: reference)
        cache.invalidate(tenantID: tenantA)
        _ = try cache.resolved(tenantID: tenantA, extension: reference)
        _ = try cache.resolved(tenantID: tenantB, extension: reference)
        #expect(source.lookups.withLock { $0 } == 3)
        cache.invalidateAll()
        _ = try cache.resolved(tenantID: tenantB, extension: reference)
        #expect(source.lookups.withLock { $0 } == 4)
    }
}
