import Execution
import ExthostCore
import Testing

/// Traps and bad results map to the gateway's 502 errors without leaking details in the message.
@Suite struct GuestFailureTests {
    @Test func aTrapIsExtensionFailedWithDetailsKeptForTheLog() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest("""
            (func (export "crash") (param i32 i32) (result i64) (unreachable))
            """))
        let error = try #require(executionError { () throws(ExecutionError) in try harness.run(module, handler: "crash") })
        guard case .trap(let detail) = error else {
            Issue.record("expected a trap, got \(error)")
            return
        }
        #expect(detail.contains("unreachable"))
        #expect(error.status.code == 502)
        #expect(error.code == "EXTENSION_FAILED")
        #expect(!error.message.contains("unreachable"))
        #expect(try harness.run(module, handler: "ok") == Array(okResponse.utf8))
    }

    @Test func aResponseOutsideMemoryIsABadResponse() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest("""
            (func (export "wild") (param i32 i32) (result i64) (i64.const 0xffff000000000064))
            (func (export "straddle") (param i32 i32) (result i64) (i64.const 0x0001fff000000100))
            (func (export "empty") (param i32 i32) (result i64) (i64.const 0))
            """))
        for handler in ["wild", "straddle", "empty"] {
            let error = executionError { () throws(ExecutionError) in try harness.run(module, handler: handler) }
            guard case .badResponse = error else {
                Issue.record("\(handler): expected badResponse, got \(String(describing: error))")
                continue
            }
            #expect(error?.code == "EXTENSION_BAD_RESPONSE")
        }
    }

    @Test func aHostCallOutsideMemoryTraps() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest("""
            (func (export "bad_call") (param i32 i32) (result i64) (call $call (i32.const 0x1fff0) (i32.const 0x100)))
            (func (export "bad_log") (param i32 i32) (result i64) (call $log (i32.const 1) (i32.const -16) (i32.const 32)) (i64.const 0))
            """, imports: """
            (import "exthost" "call" (func $call (param i32 i32) (result i64)))
            (import "exthost" "log" (func $log (param i32 i32 i32)))
            """))
        for handler in ["bad_call", "bad_log"] {
            let error = executionError { () throws(ExecutionError) in try harness.run(module, handler: handler) }
            guard case .trap(let detail) = error else {
                Issue.record("\(handler): expected a trap, got \(String(describing: error))")
                continue
            }
            #expect(detail.contains("outside memory"))
        }
    }

    @Test func aMissingHandlerIsModuleInvalid() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest(""))
        let error = executionError { () throws(ExecutionError) in try harness.run(module, handler: "absent") }
        guard case .moduleInvalid = error else {
            Issue.record("expected moduleInvalid, got \(String(describing: error))")
            return
        }
    }

    @Test func aHandlerOfTheWrongTypeIsModuleInvalid() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest(#"(func (export "narrow") (param i32) (result i32) (i32.const 0))"#))
        let error = executionError { () throws(ExecutionError) in try harness.run(module, handler: "narrow") }
        guard case .moduleInvalid(let problems) = error else {
            Issue.record("expected moduleInvalid, got \(String(describing: error))")
            return
        }
        #expect(problems.first?.hasPrefix("export narrow:") == true)
    }

    @Test func procExitInsteadOfAResponseIsABadResponse() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest("""
            (func (export "quit") (param i32 i32) (result i64) (call $exit (i32.const 3)) (i64.const 0))
            """, imports: #"(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))"#))
        let error = executionError { () throws(ExecutionError) in try harness.run(module, handler: "quit") }
        guard case .badResponse(let detail) = error else {
            Issue.record("expected badResponse, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("proc_exit(3)"))
    }

    @Test func anUnreadableModuleIsUnavailable() throws {
        let harness = try GuestHarness()
        let error = executionError { () throws(ExecutionError) in try harness.run((key: "gone", path: "/nonexistent/main.wasm"), handler: "ok") }
        #expect(error?.status.code == 503)
    }
}
