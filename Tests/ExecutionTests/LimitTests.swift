import Execution
import ExthostCore
import Foundation
import Synchronization
import Testing

/// Fuel, deadline, memory and size limits, and what each failure maps to.
@Suite struct LimitTests {
    static let spinning = guest("""
        (func (export "spin") (param i32 i32) (result i64)
          (loop $forever (br $forever))
          (unreachable))
        """)

    @Test func aSpinningGuestStopsByTheDeadlineAndTheNextCallWorks() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: Self.spinning)
        let timeout = Duration.milliseconds(300)
        let started = ContinuousClock.now
        let error = executionError { () throws(ExecutionError) in try harness.run(module, handler: "spin", limits: ExecutionLimits(timeout: timeout)) }
        let elapsed = started.duration(to: .now)
        #expect(error == .timeout)
        #expect(error?.status.code == 504)
        print("a spinning guest with a \(timeout) deadline stopped after \(elapsed)")
        #expect(elapsed < timeout + .milliseconds(500), "stopped after \(elapsed)")
        #expect(try harness.run(module, handler: "ok") == Array(okResponse.utf8))
        #expect(harness.engine.statistics.instancesDiscarded == 1)
    }

    @Test func runningOutOfFuelInsideTheAllocatorIsATimeoutNotATrap() throws {
        // exthost_alloc is called by the host to place the request: it spins here.
        let wat = """
            (module
              (memory (export "memory") 1)
              (func (export "exthost_alloc") (param i32) (result i32)
                (loop $forever (br $forever))
                (i32.const 0))
              (func (export "ok") (param i32 i32) (result i64) (i64.const 0)))
            """
        let harness = try GuestHarness()
        let module = try harness.install(wat: wat)
        let error = executionError { () throws(ExecutionError) in
            try harness.run(module, handler: "ok", limits: ExecutionLimits(fuel: 100_000, timeout: .seconds(10)))
        }
        #expect(error == .timeout)
    }

    /// Measures how much fuel the tightest loop burns per millisecond (the rate the deadline
    /// budget is derived from; see docs/execution.md) and that a fixed budget runs out.
    @Test func measuresTheFuelRateOfThePurestLoop() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: Self.spinning)
        let fuel: UInt64 = 300_000_000
        let started = ContinuousClock.now
        let error = executionError { () throws(ExecutionError) in
            try harness.run(module, handler: "spin", limits: ExecutionLimits(fuel: fuel, timeout: .seconds(60)))
        }
        let elapsed = started.duration(to: .now)
        #expect(error == .timeout)
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let rate = Double(fuel) / milliseconds
        print("fuel rate of a pure loop: \(Int(rate)) units/ms (\(fuel) units in \(elapsed))")
        // The deadline-derived budget assumes 2.5·10⁵ units/ms; far below that, deadlines would overrun.
        // The bound is loose because parallel tests and builds share the CPU.
        #expect(rate > 150_000)
        #expect(rate < 50_000_000, "fuel is not being metered")
    }

    @Test func hostCallsCheckTheDeadline() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest("""
            (data (i32.const 64) "{\\"op\\":\\"config.get\\",\\"key\\":\\"x\\"}")
            (func (export "ask_forever") (param i32 i32) (result i64)
              (loop $again (drop (call $call (i32.const 64) (i32.const 29))) (br $again))
              (unreachable))
            """, imports: #"(import "exthost" "call" (func $call (param i32 i32) (result i64)))"#))
        let host = FakeHost(delay: .milliseconds(40))
        let started = ContinuousClock.now
        let error = executionError { () throws(ExecutionError) in
            try harness.run(module, handler: "ask_forever", limits: ExecutionLimits(timeout: .milliseconds(200)), host: host)
        }
        #expect(error == .timeout)
        #expect(started.duration(to: .now) < .milliseconds(600))
        #expect((2...6).contains(host.calls.withLock { $0.count }))
    }

    @Test func aMemoryBombRunsOutOfMemory() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest("""
            (func (export "bomb") (param i32 i32) (result i64)
              (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
              (unreachable))
            """))
        let error = executionError { () throws(ExecutionError) in try harness.run(module, handler: "bomb", limits: ExecutionLimits(memoryBytes: 4 << 20)) }
        #expect(error == .outOfMemory)
        #expect(error?.code == "EXTENSION_OUT_OF_MEMORY")
        #expect(try harness.run(module, handler: "ok") == Array(okResponse.utf8))
    }

    @Test func anInitialMemoryOverTheLimitIsOutOfMemory() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest("").replacingOccurrences(of: "(memory (export \"memory\") 2)", with: "(memory (export \"memory\") 80)"))
        let error = executionError { () throws(ExecutionError) in try harness.run(module, handler: "ok", limits: ExecutionLimits(memoryBytes: 4 << 20)) }
        #expect(error == .outOfMemory)
    }

    @Test func requestAndResponseSizesAreCapped() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest(""))
        let tooLarge = executionError { () throws(ExecutionError) in try harness.run(module, handler: "ok", input: "[1,2,3]", limits: ExecutionLimits(maxRequestBytes: 4)) }
        #expect(tooLarge == .requestTooLarge)
        #expect(tooLarge?.status.code == 413)
        let overResponse = executionError { () throws(ExecutionError) in try harness.run(module, handler: "ok", limits: ExecutionLimits(maxResponseBytes: 10)) }
        guard case .badResponse = overResponse else {
            Issue.record("expected badResponse, got \(String(describing: overResponse))")
            return
        }
    }

    @Test func limitsComeFromTheEnvironment() throws {
        let limits = try ExecutionLimits(environment: ["EXT_FUEL_PER_REQUEST": "5000", "EXT_MEMORY_LIMIT_MB": "16", "EXT_GATEWAY_TIMEOUT_MS": "2500"])
        #expect(limits == ExecutionLimits(fuel: 5000, memoryBytes: 16 << 20, timeout: .milliseconds(2500)))
        #expect(try ExecutionLimits(environment: [:]) == ExecutionLimits())
        #expect(throws: ExecutionError.configurationInvalid(name: "EXT_MEMORY_LIMIT_MB", value: "0")) {
            try ExecutionLimits(environment: ["EXT_MEMORY_LIMIT_MB": "0"])
        }
        #expect(throws: ExecutionError.configurationInvalid(name: "EXT_GATEWAY_TIMEOUT_MS", value: "ten")) {
            try ExecutionLimits(environment: ["EXT_GATEWAY_TIMEOUT_MS": "ten"])
        }
    }
}
