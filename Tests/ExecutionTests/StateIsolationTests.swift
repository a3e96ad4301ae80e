import Execution
import ExthostCore
import Foundation
import Synchronization
import Testing

/// No request sees what an earlier one left behind: not in memory, not in a hidden or an
/// exported mutable global, on the reuse path and on the fresh-instance path.
@Suite struct StateIsolationTests {
    /// Answers 12 bytes: the hidden global, the exported global and memory[512..<516] as found,
    /// then stores this request's length and first input bytes in all three.
    static let remembering = """
        (global $hidden (mut i32) (i32.const 7))
        (global $shown (export "shown") (mut i32) (i32.const 9))
        (func (export "remember") (param $ptr i32) (param $len i32) (result i64)
          (i32.store (i32.const 600) (global.get $hidden))
          (i32.store (i32.const 604) (global.get $shown))
          (i32.store (i32.const 608) (i32.load (i32.const 512)))
          (global.set $hidden (local.get $len))
          (global.set $shown (i32.add (local.get $len) (i32.const 1)))
          (i32.store (i32.const 512) (i32.load (local.get $ptr)))
          (i64.const 0x2580000000c))
        """

    /// A table write puts the module on the fresh-instance path.
    static let tableWriting = """
        (table 1 funcref)
        (func (export "untouched") (table.set 0 (i32.const 0) (ref.null func)))
        """

    static let pristine: [UInt8] = [7, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]

    @Test func theReusePathResetsMemoryAndGlobals() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest(Self.remembering))
        #expect(try harness.run(module, handler: "remember", input: "TENANT-A-SECRET") == Self.pristine)
        #expect(try harness.run(module, handler: "remember", input: "TENANT-B") == Self.pristine)
        let statistics = harness.engine.statistics
        #expect(statistics.instancesReused == 1)
        #expect(statistics.freshInstances == 0)
    }

    @Test func theFreshPathStartsFromScratch() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest(Self.remembering + Self.tableWriting))
        #expect(try harness.run(module, handler: "remember", input: "TENANT-A-SECRET") == Self.pristine)
        #expect(try harness.run(module, handler: "remember", input: "TENANT-B") == Self.pristine)
        let statistics = harness.engine.statistics
        #expect(statistics.freshInstances == 2)
        #expect(statistics.instancesReused == 0)
        #expect(statistics.modulesLoaded == 1)
    }

    @Test func concurrentRequestsNeverShareAnInstance() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest(Self.remembering))
        let leaks = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for request in 0..<50 {
                let answer = try? harness.run(module, handler: "remember", input: "W\(worker)-R\(request)")
                if answer != Self.pristine { leaks.withLock { $0 += 1 } }
            }
        }
        #expect(leaks.withLock { $0 } == 0)
        let statistics = harness.engine.statistics
        #expect(statistics.warmInstancesCreated + statistics.instancesReused == 200)
        #expect(statistics.warmInstancesCreated <= 4)
    }

    @Test func anInstanceWhoseMemoryGrewIsReplaced() throws {
        let harness = try GuestHarness()
        let module = try harness.install(wat: guest(Self.remembering + """
            (func (export "grow") (param i32 i32) (result i64)
              (drop (memory.grow (i32.const 1)))
              (i64.const 0x100000001a))
            """))
        #expect(try harness.run(module, handler: "grow") == Array(okResponse.utf8))
        #expect(try harness.run(module, handler: "remember", input: "AAAA") == Self.pristine)
        let statistics = harness.engine.statistics
        #expect(statistics.instancesDiscarded == 1)
        #expect(statistics.warmInstancesCreated == 2)
    }
}
