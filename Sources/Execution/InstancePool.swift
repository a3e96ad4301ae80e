import ExthostCore

/// Warm, reset instances waiting for their next request, by module key, kept per worker thread
/// (DESIGN §7 step 3: "an instance of that module owned by this worker thread").
///
/// An instance is in the pool only while no thread uses it: `take` removes it, `give` puts it
/// back after a successful reset. Each thread's stripe holds at most `maxIdlePerModule` per
/// module; extras are dropped. A thread takes from and gives to its own stripe, so request
/// threads do not queue on one lock (`ThreadStripes`).
final class InstancePool: Sendable {
    private let maxIdlePerModule: Int
    private let idle = ThreadStripes<[String: [GuestInstance]]> { [:] }

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
        idle.forEach { idle in
            for key in keys { idle[key] = nil }
        }
    }

    var idleCount: Int {
        var total = 0
        idle.forEach { total += $0.values.reduce(0) { $0 + $1.count } }
        return total
    }
}
