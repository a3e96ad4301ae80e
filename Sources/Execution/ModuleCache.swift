import Glibc
import Synchronization

/// Parsed modules by content hash, each parsed once per process and evicted least recently used
/// first when their total size passes `capacityBytes`.
///
/// The size counted is the module binary's; a module bigger than the whole capacity is still
/// returned, just not kept. Two threads missing on the same key may both parse it; the first
/// stored wins, which costs a parse, never correctness.
final class ModuleCache: Sendable {
    private struct Entry {
        let module: LoadedModule
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var totalBytes = 0
        var clock: UInt64 = 0
    }

    private let capacityBytes: Int
    private let state = Mutex(State())

    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// The cached module, touched as most recently used.
    func cached(_ key: String) -> LoadedModule? {
        state.withLock { state in
            state.clock += 1
            guard var entry = state.entries[key] else { return nil }
            entry.lastUse = state.clock
            state.entries[key] = entry
            return entry.module
        }
    }

    /// Stores `module` (unless another thread stored the key first) and returns the keys evicted.
    func insert(_ module: LoadedModule) -> (module: LoadedModule, evicted: [String]) {
        state.withLock { state in
            state.clock += 1
            if let existing = state.entries[module.key] { return (existing.module, []) }
            guard module.byteCount <= capacityBytes else { return (module, []) }
            state.entries[module.key] = Entry(module: module, lastUse: state.clock)
            state.totalBytes += module.byteCount
            var evicted: [String] = []
            while state.totalBytes > capacityBytes,
                let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                state.entries[oldest.key] = nil
                state.totalBytes -= oldest.value.module.byteCount
                evicted.append(oldest.key)
            }
            return (module, evicted)
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
    var totalBytes: Int { state.withLock { $0.totalBytes } }
}
