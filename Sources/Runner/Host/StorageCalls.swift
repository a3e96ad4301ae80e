import JSON
import Registry

/// An install's key-value storage as the host calls see it (the registry's `ExtensionStorage`).
public protocol KeyValueStorage: Sendable {
    func get(_ location: ExtensionStorage.Location, timeout: Duration) throws -> (value: [UInt8], revision: Int64)?
    func put(_ location: ExtensionStorage.Location, value: [UInt8], ifRevision: Int64?, timeout: Duration) throws -> ExtensionStorage.WriteOutcome
    func delete(_ location: ExtensionStorage.Location, ifRevision: Int64?, timeout: Duration) throws -> ExtensionStorage.WriteOutcome
    func list(
        tenantID: String, installID: String, namespace: String, prefix: String, after: String?, limit: Int, timeout: Duration
    ) throws -> [String]
}

extension ExtensionStorage: KeyValueStorage {}

/// `storage.get|put|delete|list` (DESIGN §7): checks the request's members, runs it with the
/// time left before the deadline and shapes the answer.
///
/// Invariants: values are any JSON, stored as their serialized text and given back parsed;
/// namespaces are 1–256 and keys 1–1024 characters (the schema's bounds), checked before any
/// query; a failure of the database answers `unavailable`, never its message.
enum StorageCalls {
    static let defaultListLimit = 100
    static let maxListLimit = 1000

    struct InvalidRequest: Error {
        let message: String
    }

    static func answer(
        op: String, _ request: JSONValue, tenantID: String, installID: String, deadline: ContinuousClock.Instant, storage: any KeyValueStorage
    ) throws -> JSONValue {
        let timeout = deadline - ContinuousClock.now
        let namespace = try text(request, "namespace", maxCharacters: 256)
        switch op {
        case "storage.get":
            let location = try keyLocation(request, tenantID: tenantID, installID: installID, namespace: namespace)
            guard let stored = try storage.get(location, timeout: timeout) else { return HostCallAnswer.error("not_found", "no such key") }
            let value = (try? JSONValue.parse(stored.value)) ?? .string(String(decoding: stored.value, as: UTF8.self))
            return HostCallAnswer.ok(.object([("value", value), ("revision", .number(Int(stored.revision)))]))
        case "storage.put":
            let location = try keyLocation(request, tenantID: tenantID, installID: installID, namespace: namespace)
            guard let value = request["value"] else { throw InvalidRequest(message: "value is required") }
            return outcome(try storage.put(location, value: value.serializedBytes(), ifRevision: try revision(request), timeout: timeout))
        case "storage.delete":
            let location = try keyLocation(request, tenantID: tenantID, installID: installID, namespace: namespace)
            return outcome(try storage.delete(location, ifRevision: try revision(request), timeout: timeout))
        default:
            let prefix = try request["prefix"].map { value throws -> String in
                guard let prefix = value.stringValue else { throw InvalidRequest(message: "prefix must be a string") }
                return prefix
            } ?? ""
            let after = request["after"]?.stringValue
            let limit = min(max(request["limit"]?.intValue ?? defaultListLimit, 1), maxListLimit)
            let keys = try storage.list(
                tenantID: tenantID, installID: installID, namespace: namespace, prefix: prefix, after: after, limit: limit, timeout: timeout)
            return HostCallAnswer.ok(.object([("keys", .array(keys.map(JSONValue.string)))]))
        }
    }

    private static func outcome(_ outcome: ExtensionStorage.WriteOutcome) -> JSONValue {
        switch outcome {
        case .written(let revision): HostCallAnswer.ok(.object([("revision", .number(Int(revision)))]))
        case .deleted(let existed): HostCallAnswer.ok(.object([("deleted", .bool(existed))]))
        case .conflict(let current):
            .object([("error", .object([
                ("code", "conflict"), ("message", "ifRevision does not match"),
                ("revision", current.map { .number(Int($0)) } ?? .null),
            ]))])
        case .quotaExceeded(let reason): HostCallAnswer.error("quota_exceeded", reason)
        }
    }

    private static func keyLocation(_ request: JSONValue, tenantID: String, installID: String, namespace: String) throws -> ExtensionStorage.Location {
        ExtensionStorage.Location(tenantID: tenantID, installID: installID, namespace: namespace, key: try text(request, "key", maxCharacters: 1024))
    }

    private static func text(_ request: JSONValue, _ member: String, maxCharacters: Int) throws -> String {
        guard let value = request[member]?.stringValue, !value.isEmpty, value.count <= maxCharacters, !value.utf8.contains(0) else {
            throw InvalidRequest(message: "\(member) must be a string of 1 to \(maxCharacters) characters")
        }
        return value
    }

    private static func revision(_ request: JSONValue) throws -> Int64? {
        guard let value = request["ifRevision"], !value.isNull else { return nil }
        guard let number = value.intValue, number >= 0 else { throw InvalidRequest(message: "ifRevision must be a whole number, 0 for absent") }
        return Int64(number)
    }
}
