import Synchronization

/// Warm, reset instances waiting for their next request, by module key.
///
/// An instance is in the pool only while no thread uses it: `take` removes it, `give` puts it
/// back after a successful reset. At most `maxIdlePerModule` wait per module (about one per
/// worker thread); extras are dropped.
final class InstancePool: Sendable {
    private let maxIdlePerModule: Int
    private let idle = Mutex([String: [GuestInstance]]())

    init(maxIdlePerModule: Int) {
        self.maxIdlePerModule = maxIdlePerModule
    }

    func take(_ key: String) -> GuestInstance? {
        idle.withLock { $0[key]?.popLast() }
    }

    func give(_ instance: GuestInstance) {
        idle.withLock { idle in
            if idle[instance.module.key, default: []].count < maxIdlePerModule {
                idle[instance.module.key, default: []].append(instance)
            }
        }
    }

    func drop(_ keys: [String]) {
        if keys.isEmpty { return }
        idle.withLock { idle in
            for key in keys { idle[key] = nil }
        }
    }

    var idleCount: Int { idle.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}
