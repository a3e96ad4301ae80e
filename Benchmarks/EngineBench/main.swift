// exthost-bench-engine: the engine-level numbers bench/execute prints next to its HTTP runs.
//
//   exthost-bench-engine instances REUSABLE.wasm FRESH.wasm HANDLER REQUESTS
//     runs HANDLER REQUESTS times through WasmEngine on each module (the same code, but FRESH
//     contains an elem.drop, so the engine cannot reset it and instantiates per request) and
//     prints microseconds per request for both: the cost of instantiating per request.
//   exthost-bench-engine fuel MODULE.wasm HANDLER CALLS
//     calls HANDLER CALLS times on one WasmKit instance with fuel metering on and off and
//     prints milliseconds per call for both: the cost of metering.
//
// Output is one `key=value` line per measurement, for the script to parse.
import Execution
import Glibc
import JSON
import Logging
import WasmKit

struct NoHost: HostInterface {
    func call(_ request: JSONValue, deadline: ContinuousClock.Instant) -> JSONValue { ["error": ["code": "not_allowed"]] }
    func log(level: Int32, message: String) {}
}

func fail(_ message: String) -> Never {
    _ = message.withCString { write(2, $0, strlen($0)) }
    _ = "\n".withCString { write(2, $0, 1) }
    exit(2)
}

func readFile(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else { fail("cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count == 0 { break }
        bytes += chunk[0..<count]
    }
    return bytes
}

func microseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
}

/// Microseconds per request through the engine, after one warm-up request.
func perRequest(engine: WasmEngine, path: String, key: String, handler: String, requests: Int) -> Double {
    let limits = ExecutionLimits(fuel: nil, memoryBytes: 64 << 20, timeout: .seconds(10), maxRequestBytes: 10 << 20, maxResponseBytes: 10 << 20)
    let input = Array(#"{"context":{},"http":{"method":"GET","path":"/"},"params":{}}"#.utf8)
    var meter = ExecutionMeter()
    do {
        _ = try engine.execute(moduleKey: key, modulePath: path, handler: handler, input: input, limits: limits, host: NoHost(), meter: &meter)
        let started = ContinuousClock.now
        for _ in 0..<requests {
            _ = try engine.execute(moduleKey: key, modulePath: path, handler: handler, input: input, limits: limits, host: NoHost(), meter: &meter)
        }
        return microseconds(ContinuousClock.now - started) / Double(requests)
    } catch {
        fail("\(path): \(error)")
    }
}

/// Milliseconds per call of a handler that takes no input, metered or not.
func perCall(wasm: [UInt8], handler: String, calls: Int, metered: Bool) -> Double {
    do {
        let engine = Engine(configuration: EngineConfiguration(fuelMetering: metered))
        let store = Store(engine: engine)
        if metered { store.fuel = Fuel(remaining: UInt64.max >> 2) }
        let instance = try parseWasm(bytes: wasm).instantiate(store: store)
        guard let function = instance.exports[function: handler] else { fail("no export \(handler)") }
        _ = try function.invoke([.i32(0), .i32(0)])
        let started = ContinuousClock.now
        for _ in 0..<calls { _ = try function.invoke([.i32(0), .i32(0)]) }
        return microseconds(ContinuousClock.now - started) / 1000 / Double(calls)
    } catch {
        fail("\(error)")
    }
}

let arguments = CommandLine.arguments
switch (arguments.count > 1 ? arguments[1] : "", arguments.count) {
case ("instances", 6):
    guard let requests = Int(arguments[5]), requests > 0 else { fail("REQUESTS must be a positive number") }
    let engine = WasmEngine(logger: Logger(label: "bench"))
    let reused = perRequest(engine: engine, path: arguments[2], key: "reusable", handler: arguments[4], requests: requests)
    let fresh = perRequest(engine: engine, path: arguments[3], key: "fresh", handler: arguments[4], requests: requests)
    let statistics = engine.statistics
    guard statistics.freshInstances == requests + 1, statistics.instancesReused == requests else {
        fail("the modules did not take the expected paths: \(statistics)")
    }
    print("reuse_us=\(reused)")
    print("fresh_us=\(fresh)")
case ("fuel", 5):
    guard let calls = Int(arguments[4]), calls > 0 else { fail("CALLS must be a positive number") }
    let wasm = readFile(arguments[2])
    let unmetered = perCall(wasm: wasm, handler: arguments[3], calls: calls, metered: false)
    let metered = perCall(wasm: wasm, handler: arguments[3], calls: calls, metered: true)
    print("unmetered_ms=\(unmetered)")
    print("metered_ms=\(metered)")
default:
    fail("usage: exthost-bench-engine instances REUSABLE.wasm FRESH.wasm HANDLER REQUESTS | fuel MODULE.wasm HANDLER CALLS")
}
