@_spi(Fuzzing) import WasmKit
import Synchronization

/// Caps a store's linear memory at `ExecutionLimits.memoryBytes` and remembers a refused growth,
/// so a guest that traps (or gives up) after `memory.grow` returned -1 is reported as out of memory.
///
/// One per store; `limitBytes` may change between requests, `refused` is cleared per request.
final class MemoryCap: ResourceLimiter {
    private let state = Mutex((limitBytes: 0, refused: false))

    init(limitBytes: Int) {
        state.withLock { $0.limitBytes = limitBytes }
    }

    func startRequest(limitBytes: Int) {
        state.withLock { $0 = (limitBytes, false) }
    }

    var refused: Bool { state.withLock { $0.refused } }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        state.withLock { state in
            if desired <= state.limitBytes { return true }
            state.refused = true
            return false
        }
    }

    func limitTableGrowth(to desired: Int) throws -> Bool {
        // Tables hold references, not data; a guest growing one past a million entries is a bomb.
        desired <= 1 << 20
    }
}
