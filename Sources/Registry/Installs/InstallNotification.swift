import JSON
import Postgres

/// The `exthost_installs` NOTIFY every install mutation sends inside its own transaction, so a
/// listener (the cache-fill daemon) sees exactly the committed changes and nothing rolled back.
///
/// Payload: `{"op":"created|updated|deleted","installId","tenantId","extensionId","contentHash","enabled"}`;
/// a deleted install reports `enabled: false`.
public enum InstallNotification {
    public static let channel = "exthost_installs"

    public enum Operation: String, Sendable {
        case created, updated, deleted
    }

    static func send(_ operation: Operation, install: Install, on connection: PostgresConnection) throws {
        let payload: JSONValue = [
            "op": .string(operation.rawValue),
            "installId": .string(install.id),
            "tenantId": .string(install.tenantID),
            "extensionId": .string(install.extensionID),
            "contentHash": .string(install.contentHash),
            "enabled": .bool(operation != .deleted && install.enabled),
        ]
        try connection.notify(channel: channel, payload: payload.serialized())
    }
}
