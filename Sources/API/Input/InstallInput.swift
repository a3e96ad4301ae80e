import JSON
import Registry

/// Validation of the install request bodies, field by field, before anything touches the database.
enum InstallInput {
    /// Serialized `config` above this is refused: it travels with every execution.
    static let maxConfigBytes = 64 * 1024
    static let maxSecretBytes = 64 * 1024
    static let maxSecretsPerRequest = 100

    /// `POST /api/installs` `{extensionId, version, enabled?, config?, grantedCapabilities?}`.
    static func draft(from body: FieldReader) throws(InputError) -> InstallDraft {
        var body = body
        let extensionText = try body.string("extensionId", required: true, maxLength: 300) ?? ""
        guard let reference = ExtensionReference(extensionText) else {
            throw .invalidValue(JSONPath.root.appending("extensionId"), reason: "must be an extension uuid or publisher.name")
        }
        let version = try body.string("version", required: true, maxLength: 256) ?? ""
        let enabled = try body.bool("enabled") ?? true
        let config = try checkedConfig(body.object("config")) ?? JSONObject()
        let grants = try body.stringArray("grantedCapabilities") ?? []
        try body.finish()
        return InstallDraft(extension: reference, version: version, enabled: enabled, config: config, grantedCapabilities: grants)
    }

    /// `PATCH /api/installs/{id}` `{enabled?, version?, config?, grantedCapabilities?}`; an empty
    /// object is a valid no-op that still answers the install.
    static func changes(from body: FieldReader) throws(InputError) -> InstallChanges {
        var body = body
        let changes = InstallChanges(
            enabled: try body.bool("enabled"),
            version: try body.string("version", maxLength: 256),
            config: try checkedConfig(body.object("config")),
            grantedCapabilities: try body.stringArray("grantedCapabilities"))
        try body.finish()
        return changes
    }

    /// `PUT /api/installs/{id}/secrets` `{NAME: "value" | null}`: a string sets, null removes.
    static func secretChanges(from body: FieldReader) throws(InputError) -> [(name: String, value: String?)] {
        guard !body.object.isEmpty else { throw .invalidValue(.root, reason: "must name at least one secret") }
        guard body.object.count <= maxSecretsPerRequest else {
            throw .invalidValue(.root, reason: "sets more than \(maxSecretsPerRequest) secrets at once")
        }
        var changes: [(name: String, value: String?)] = []
        for (name, value) in body.object {
            let path = JSONPath.root.appending(name)
            guard isSecretName(name) else {
                throw .invalidValue(path, reason: "is not a secret name: use 1-128 of A-Z a-z 0-9 _ . - starting with a letter or _")
            }
            switch value {
            case .null: changes.append((name, nil))
            case .string(let text):
                guard !text.utf8.contains(0) else { throw .invalidValue(path, reason: "contains U+0000, which cannot be stored") }
                guard text.utf8.count <= maxSecretBytes else { throw .invalidValue(path, reason: "is longer than \(maxSecretBytes) bytes") }
                changes.append((name, text))
            default: throw .wrongType(path, expected: "a string, or null to remove the secret")
            }
        }
        return changes
    }

    private static func checkedConfig(_ config: JSONObject?) throws(InputError) -> JSONObject? {
        guard let config else { return nil }
        let path = JSONPath.root.appending("config")
        // Postgres text and jsonb cannot hold U+0000; refuse it here rather than fail in SQL.
        if let at = firstNUL(in: .object(config), path: path) {
            throw .invalidValue(at, reason: "contains U+0000, which cannot be stored")
        }
        guard JSONValue.object(config).serializedBytes().count <= maxConfigBytes else {
            throw .invalidValue(path, reason: "is larger than \(maxConfigBytes) bytes")
        }
        return config
    }

    private static func firstNUL(in value: JSONValue, path: JSONPath) -> JSONPath? {
        switch value {
        case .string(let text): return text.utf8.contains(0) ? path : nil
        case .array(let items):
            return items.enumerated().lazy.compactMap { firstNUL(in: $1, path: path.appending(index: $0)) }.first
        case .object(let object):
            return object.lazy.compactMap { member in
                member.key.utf8.contains(0) ? path.appending(member.key) : firstNUL(in: member.value, path: path.appending(member.key))
            }.first
        default: return nil
        }
    }

    static func isSecretName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 128, isLetter(first) || first == UInt8(ascii: "_") else { return false }
        return bytes.allSatisfy { isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || [UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-")].contains($0) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
