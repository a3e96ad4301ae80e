import Execution
import ExthostCore
import JSON
import Synchronization
import Testing

/// `exthost.call` and `exthost.log` round trips through a fake host, and WASI stdout.
@Suite struct HostCallTests {
    static let imports = """
        (import "exthost" "call" (func $call (param i32 i32) (result i64)))
        (import "exthost" "log" (func $log (param i32 i32 i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
        """

    static let module = guest("""
        (data (i32.const 64) "{\\"op\\":\\"config.get\\",\\"key\\":\\"x\\"}")
        (data (i32.const 128) "asking for x")
        (data (i32.const 160) "to stdout\\npartial")
        ;; iovec at 192: base 160, length 17
        (data (i32.const 192) "\\a0\\00\\00\\00\\11\\00\\00\\00")
        (func (export "ask") (param i32 i32) (result i64)
          (call $log (i32.const 2) (i32.const 128) (i32.const 12))
          (drop (call $fd_write (i32.const 1) (i32.const 192) (i32.const 1) (i32.const 200)))
          (call $call (i32.const 64) (i32.const 29)))
        """, imports: imports)

    @Test func configGetRoundTripsThroughTheHost() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: Self.module)
        let host = FakeHost(config: ["x": "forty-two"])
        let answer = try JSONValue.parse(try harness.run(module, handler: "ask", host: host))
        #expect(answer == ["ok": "forty-two"])
        #expect(host.calls.withLock { $0 } == [["op": "config.get", "key": "x"]])
        let logs = host.logs.withLock { $0.map { "\($0.0) \($0.1)" } }
        #expect(logs == ["2 asking for x", "1 to stdout", "1 partial"])
    }

    @Test func anErrorAnswerReachesTheGuest() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: Self.module)
        let answer = try JSONValue.parse(try harness.run(module, handler: "ask", host: FakeHost()))
        #expect(answer["error"]?["code"]?.stringValue == "not_found")
    }
}
