import Execution
import ExthostCore
import Foundation
import JSON
import Logging
import Synchronization
import WAT

/// A `HostInterface` that answers `config.get` from a dictionary, optionally sleeping first,
/// and records every call and log line.
final class FakeHost: HostInterface {
    let config: [String: String]
    let delay: Duration
    let calls = Mutex<[JSONValue]>([])
    let logs = Mutex<[(Int32, String)]>([])

    init(config: [String: String] = [:], delay: Duration = .zero) {
        self.config = config
        self.delay = delay
    }

    func call(_ request: JSONValue, deadline: ContinuousClock.Instant) -> JSONValue {
        calls.withLock { $0.append(request) }
        if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18) }
        guard request["op"]?.stringValue == "config.get", let key = request["key"]?.stringValue, let value = config[key] else {
            return ["error": ["code": "not_found", "message": "no such key"]]
        }
        return ["ok": .string(value)]
    }

    func log(level: Int32, message: String) {
        logs.withLock { $0.append((level, message)) }
    }
}

/// Writes guests to a private directory and runs them through one engine.
struct GuestHarness {
    let engine = WasmEngine(logger: Logger(label: "execution-tests"))
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("exthost-execution-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Compiles `wat` and stores it under a key derived from its text; returns (key, path).
    func install(wat: String) throws -> (key: String, path: String) {
        try install(wasm: try wat2wasm(wat), key: "wat-\(abs(wat.hashValue))")
    }

    func install(wasm: [UInt8], key: String) throws -> (key: String, path: String) {
        let path = directory.appendingPathComponent(key + ".wasm").path
        try Data(wasm).write(to: URL(fileURLWithPath: path))
        return (key, path)
    }

    func run(
        _ module: (key: String, path: String), handler: String, input: String = "{}",
        limits: ExecutionLimits = ExecutionLimits(), host: FakeHost = FakeHost()
    ) throws(ExecutionError) -> [UInt8] {
        var meter = ExecutionMeter()
        return try engine.execute(
            moduleKey: module.key, modulePath: module.path, handler: handler, input: Array(input.utf8), limits: limits, host: host, meter: &meter)
    }
}

/// Runs `body` and returns the ExecutionError it threw, or nil.
func executionError(_ body: () throws(ExecutionError) -> [UInt8]) -> ExecutionError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// The WAT every test guest starts with: two pages of memory and a bump `exthost_alloc` whose
/// heap pointer is a hidden mutable global.
func guest(_ body: String, imports: String = "") -> String {
    """
    (module
      \(imports)
      (memory (export "memory") 2)
      (global $heap (mut i32) (i32.const 4096))
      (func (export "exthost_alloc") (param $len i32) (result i32)
        (local $start i32)
        (local.set $start (global.get $heap))
        (global.set $heap (i32.add (global.get $heap) (local.get $len)))
        (local.get $start))
      (data (i32.const 16) "{\\"status\\":200,\\"text\\":\\"ok\\"}")
      (func (export "ok") (param i32 i32) (result i64)
        (i64.const 0x100000001a))
      \(body)
    )
    """
}

let okResponse = #"{"status":200,"text":"ok"}"#
