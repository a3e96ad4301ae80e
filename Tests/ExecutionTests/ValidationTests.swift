import Execution
import ExthostCore
import JSON
import Testing
import WAT

/// `WasmEngine.validate`: every exthost-wasm@1 problem of a module is reported at once.
@Suite struct ValidationTests {
    func problems(_ wat: String, handlers: [String]) throws -> [String] {
        let wasm = try wat2wasm(wat)
        do {
            try WasmEngine.validate(wasm, handlers: handlers)
            return []
        } catch {
            guard case .moduleInvalid(let problems) = error else {
                Issue.record("expected moduleInvalid, got \(error)")
                return []
            }
            #expect(error.status.code == 422)
            #expect(error.code == "MODULE_INVALID")
            return problems
        }
    }

    @Test func aConformingModulePasses() throws {
        #expect(try problems(guest("", imports: HostCallTests.imports), handlers: ["ok"]).isEmpty)
    }

    @Test func everyProblemIsListed() throws {
        let found = try problems("""
            (module
              (import "env" "abort" (func))
              (import "exthost" "call" (func (param i32) (result i64)))
              (import "exthost" "spawn" (func))
              (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
              (memory 1)
              (func (export "exthost_alloc") (param i64) (result i32) (i32.const 0))
              (func (export "wrong") (param i32 i32) (result i32) (i32.const 0)))
            """, handlers: ["wrong", "missing"])
        let expected = [
            "import env.abort", "import exthost.call", "import exthost.spawn", "import wasi_snapshot_preview1.fd_write",
            "export memory", "export exthost_alloc", "export wrong", "export missing",
        ]
        for prefix in expected {
            #expect(found.contains { $0.hasPrefix(prefix + ":") }, "no problem about \(prefix) in \(found)")
        }
        #expect(found.count == expected.count)
    }

    @Test func theIssuesReachTheErrorBody() throws {
        let error = ExecutionError.moduleInvalid(["export memory: missing", "import env.f: no"])
        #expect(error.extraMembers.map(\.name) == ["issues"])
        #expect(try JSONValue.parse(error.extraMembers[0].json) == ["export memory: missing", "import env.f: no"])
    }

    @Test func aFunctionBodyThatDoesNotTypeCheckIsRejected() throws {
        let found = try problems(guest(#"(func (export "bad") (param i32 i32) (result i64) (i32.const 0))"#), handlers: ["ok"])
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("the module does not validate") == true)
    }

    @Test func garbageDoesNotParse() {
        #expect(throws: ExecutionError.self) { try WasmEngine.validate([0, 1, 2, 3], handlers: []) }
    }
}
