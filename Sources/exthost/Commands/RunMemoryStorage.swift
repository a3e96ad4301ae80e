import Registry
import Runner
import Synchronization

/// `storage.*` for one `exthost run`: the install's key-value storage kept in memory, with
/// revisions and the quota rules of the registry's `ExtensionStorage`.
///
/// Invariants: a write increments the key's revision (the first write is revision 1); `ifRevision`
/// 0 means "only if absent"; a write never leaves the install over `quota`; keys list in byte order.
final class RunMemoryStorage: KeyValueStorage {
    private struct Stored {
        var value: [UInt8]
        var revision: Int64
    }

    private let quota: ExtensionStorage.Quota
    private let entries = Mutex<[String: [String: Stored]]>([:])

    init(quota: ExtensionStorage.Quota = ExtensionStorage.Quota()) {
        self.quota = quota
    }

    func get(_ location: ExtensionStorage.Location, timeout: Duration) throws -> (value: [UInt8], revision: Int64)? {
        entries.withLock { $0[location.namespace]?[location.key].map { ($0.value, $0.revision) } }
    }

    func put(_ location: ExtensionStorage.Location, value: [UInt8], ifRevision: Int64?, timeout: Duration) throws -> ExtensionStorage.WriteOutcome {
        guard value.count <= quota.maxValueBytes else { return .quotaExceeded("a value may hold at most \(quota.maxValueBytes) bytes") }
        return entries.withLock { namespaces in
            let existing = namespaces[location.namespace]?[location.key]
            if let expected = ifRevision, expected != (existing?.revision ?? 0) { return .conflict(current: existing?.revision) }
            let all = namespaces.values.flatMap(\.values)
            let keys = all.count + (existing == nil ? 1 : 0)
            let bytes = all.reduce(0) { $0 + $1.value.count } - (existing?.value.count ?? 0) + value.count
            if keys > quota.maxKeys { return .quotaExceeded("an install may keep at most \(quota.maxKeys) keys") }
            if bytes > quota.maxBytes { return .quotaExceeded("an install may keep at most \(quota.maxBytes) bytes") }
            let revision = (existing?.revision ?? 0) + 1
            namespaces[location.namespace, default: [:]][location.key] = Stored(value: value, revision: revision)
            return .written(revision: revision)
        }
    }

    func delete(_ location: ExtensionStorage.Location, ifRevision: Int64?, timeout: Duration) throws -> ExtensionStorage.WriteOutcome {
        entries.withLock { namespaces in
            let existing = namespaces[location.namespace]?[location.key]
            if let expected = ifRevision, expected != (existing?.revision ?? 0) { return .conflict(current: existing?.revision) }
            namespaces[location.namespace]?[location.key] = nil
            return .deleted(existed: existing != nil)
        }
    }

    func list(
        tenantID: String, installID: String, namespace: String, prefix: String, after: String?, limit: Int, timeout: Duration
    ) throws -> [String] {
        let keys = entries.withLock { Array(($0[namespace] ?? [:]).keys) }
        // Byte order, as the registry's `COLLATE "C"`.
        let sorted = keys.filter { $0.hasPrefix(prefix) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let start = after.map { after in sorted.filter { !$0.utf8.lexicographicallyPrecedes(after.utf8) && $0 != after } } ?? sorted
        return Array(start.prefix(max(0, limit)))
    }
}
