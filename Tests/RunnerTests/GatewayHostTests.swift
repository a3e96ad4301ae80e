import Execution
import JSON
import Logging
import Registry
import Runner
import Synchronization
import Testing

/// Collects log lines with their metadata, for checking what `exthost.log` emits.
final class LogLines: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    let lines = Mutex<[Line]>([])
    var all: [Line] { lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(sink: self) }
    }

    struct Handler: LogHandler {
        let sink: LogLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
            sink.lines.withLock { $0.append(Line(level: event.level, message: "\(event.message)", metadata: merged)) }
        }
    }
}

@Suite struct GatewayHostTests {
    private let future = ContinuousClock.now.advanced(by: .seconds(60))

    private func host(granted: [String], secrets: [String: String] = [:], log: LogLines = LogLines(), maxLines: Int = 100) -> ExtensionHost {
        ExtensionHost(
            target: helloTarget(granted: granted, config: ["theme": "dark", "limit": 5]), requestID: "req-7",
            services: HostServices(secrets: NoSecrets(secrets: secrets), logger: log.logger, maxLogLines: maxLines))
    }

    private func errorCode(_ answer: JSONValue) -> String? { answer["error"]?["code"]?.stringValue }

    @Test func everyOpWithoutItsCapabilityIsDenied() {
        let bare = host(granted: ["cap:context.read", "cap:log.emit"])
        for op in ["config.get", "secrets.get", "storage.get", "storage.put", "storage.delete", "storage.list", "http.fetch"] {
            #expect(errorCode(bare.call(["op": .string(op), "key": "k", "name": "n"], deadline: future)) == "capability_denied", "\(op)")
        }
    }

    @Test func configGetNeedsConfigReadNotContextRead() {
        let reader = host(granted: ["cap:config.read"])
        #expect(reader.call(["op": "config.get", "key": "theme"], deadline: future) == ["ok": "dark"])
        #expect(reader.call(["op": "config.get", "key": "limit"], deadline: future) == ["ok": 5])
        #expect(reader.call(["op": "config.get"], deadline: future) == ["ok": ["theme": "dark", "limit": 5]])
        #expect(errorCode(reader.call(["op": "config.get", "key": "missing"], deadline: future)) == "not_found")
        #expect(errorCode(reader.call(["op": "config.get", "key": 5], deadline: future)) == "invalid_request")
    }

    @Test func secretsGetRevealsOnlyWithTheGrant() {
        let secrets = ["apiToken": "s3cr3t"]
        #expect(host(granted: ["cap:secrets.get"], secrets: secrets).call(["op": "secrets.get", "name": "apiToken"], deadline: future) == ["ok": "s3cr3t"])
        #expect(errorCode(host(granted: ["cap:secrets.get"], secrets: secrets).call(["op": "secrets.get", "name": "other"], deadline: future)) == "not_found")
        #expect(errorCode(host(granted: ["cap:config.read"], secrets: secrets).call(["op": "secrets.get", "name": "apiToken"], deadline: future)) == "capability_denied")
    }

    @Test func httpFetchIsNotAllowedEvenWhenGranted() {
        let granted = host(granted: ["cap:http.fetch"])
        #expect(errorCode(granted.call(["op": "http.fetch", "method": "GET", "url": "http://127.0.0.1/"], deadline: future)) == "not_allowed")
    }

    @Test func malformedAndUnknownCallsAndThePassedDeadline() {
        let granted = host(granted: ["cap:config.read"])
        #expect(errorCode(granted.call(["nope": 1], deadline: future)) == "invalid_request")
        #expect(errorCode(granted.call("config.get", deadline: future)) == "invalid_request")
        #expect(errorCode(granted.call(["op": "fs.read"], deadline: future)) == "unknown_op")
        #expect(errorCode(granted.call(["op": "config.get", "key": "theme"], deadline: ContinuousClock.now)) == "timeout")
    }

    @Test func logLinesAreTaggedBoundedAndNeedTheGrant() {
        let lines = LogLines()
        let logging = host(granted: ["cap:log.emit"], log: lines, maxLines: 3)
        for index in 0..<10 { logging.log(level: 3, message: "line \(index)") }
        let emitted = lines.all
        #expect(emitted.map(\.message) == ["extension: line 0", "extension: line 1", "extension: line 2",
                                            "extension log limit reached; further lines of this request dropped"])
        #expect(emitted.first?.level == .error)
        #expect(emitted.first?.metadata["requestId"] == "req-7")
        #expect(emitted.first?.metadata["tenantId"] == tenantA)
        #expect(emitted.first?.metadata["extensionId"] == "exthost.examples.hello")

        let silent = LogLines()
        host(granted: [], log: silent).log(level: 1, message: "hidden")
        #expect(silent.all.isEmpty)
    }
}

/// Storage as one in-memory dictionary, remembering the timeouts it was given.
final class MemoryStorage: KeyValueStorage {
    let values = Mutex<[String: (value: [UInt8], revision: Int64)]>([:])
    let timeouts = Mutex<[Duration]>([])

    private func name(_ location: ExtensionStorage.Location) -> String { location.namespace + "/" + location.key }

    func get(_ location: ExtensionStorage.Location, timeout: Duration) throws -> (value: [UInt8], revision: Int64)? {
        timeouts.withLock { $0.append(timeout) }
        return values.withLock { $0[name(location)] }
    }

    func put(_ location: ExtensionStorage.Location, value: [UInt8], ifRevision: Int64?, timeout: Duration) throws -> ExtensionStorage.WriteOutcome {
        values.withLock { values in
            let current = values[name(location)]?.revision
            if let ifRevision, ifRevision != (current ?? 0) { return .conflict(current: current) }
            let revision = (current ?? 0) + 1
            values[name(location)] = (value, revision)
            return .written(revision: revision)
        }
    }

    func delete(_ location: ExtensionStorage.Location, ifRevision: Int64?, timeout: Duration) throws -> ExtensionStorage.WriteOutcome {
        .deleted(existed: values.withLock { $0.removeValue(forKey: name(location)) != nil })
    }

    func list(tenantID: String, installID: String, namespace: String, prefix: String, after: String?, limit: Int, timeout: Duration) throws -> [String] {
        Array(values.withLock { $0.keys }.map { String($0.dropFirst(namespace.count + 1)) }.filter { $0.hasPrefix(prefix) }.sorted().prefix(limit))
    }
}

@Suite struct GatewayStorageCallTests {
    private let future = ContinuousClock.now.advanced(by: .seconds(30))

    private func host(_ storage: MemoryStorage?, granted: [String] = ["cap:storage.kv"]) -> ExtensionHost {
        ExtensionHost(target: helloTarget(granted: granted), requestID: "r", services: HostServices(secrets: NoSecrets(), storage: storage, logger: silentLogger))
    }

    @Test func putGetListDeleteMapToTheStore() {
        let storage = MemoryStorage()
        let guest = host(storage)
        #expect(guest.call(["op": "storage.put", "namespace": "n", "key": "a", "value": ["x": 1], "ifRevision": 0], deadline: future) == ["ok": ["revision": 1]])
        #expect(guest.call(["op": "storage.get", "namespace": "n", "key": "a"], deadline: future) == ["ok": ["value": ["x": 1], "revision": 1]])
        #expect(guest.call(["op": "storage.put", "namespace": "n", "key": "a", "value": 2, "ifRevision": 0], deadline: future)
            == ["error": ["code": "conflict", "message": "ifRevision does not match", "revision": 1]])
        #expect(guest.call(["op": "storage.list", "namespace": "n"], deadline: future) == ["ok": ["keys": ["a"]]])
        #expect(guest.call(["op": "storage.delete", "namespace": "n", "key": "a"], deadline: future) == ["ok": ["deleted": true]])
        #expect(guest.call(["op": "storage.get", "namespace": "n", "key": "a"], deadline: future)["error"]?["code"] == "not_found")
        #expect(storage.timeouts.withLock { $0 }.allSatisfy { $0 > .zero && $0 <= .seconds(30) })
    }

    @Test func invalidMembersAreRefusedBeforeTheStore() {
        let guest = host(MemoryStorage())
        for request: JSONValue in [
            ["op": "storage.get", "key": "a"],
            ["op": "storage.get", "namespace": "", "key": "a"],
            ["op": "storage.get", "namespace": .string(String(repeating: "n", count: 257)), "key": "a"],
            ["op": "storage.put", "namespace": "n", "key": "a"],
            ["op": "storage.put", "namespace": "n", "key": "a", "value": 1, "ifRevision": -1],
            ["op": "storage.list", "namespace": "n", "prefix": 5],
        ] {
            #expect(guest.call(request, deadline: future)["error"]?["code"] == "invalid_request", "\(request)")
        }
    }

    @Test func withoutTheGrantOrAStoreStorageIsRefused() {
        #expect(host(MemoryStorage(), granted: []).call(["op": "storage.get", "namespace": "n", "key": "a"], deadline: future)["error"]?["code"] == "capability_denied")
        #expect(host(nil).call(["op": "storage.get", "namespace": "n", "key": "a"], deadline: future)["error"]?["code"] == "not_allowed")
    }
}
